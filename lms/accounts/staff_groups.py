"""The "Managers" group of the Django admin: the permissions of the queues a manager works
(docs/commerce.md, "Staff in the Django admin"). `accounts.services.sync_staff_groups` puts
every manager in it and takes everyone else out.

The group is data the product needs, like content types and permissions: commerce's
migration 0006 creates it on a fresh database, and `ensure_manager_group` recreates it after
every `migrate` and `flush` (post_migrate, as Django recreates permissions), so a database
emptied by `flush` (a transactional test's teardown, a restore) still has it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.permissions import MANAGER_GROUP

# (app label, model name) -> actions: the review queues (courses, instructor applications),
# moderation (reports and the items they hide), support tickets; a read of users, the
# catalog and orders to answer those. Money (payouts, refunds, coupons) stays with admins.
GRANTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("catalog", "course"): ("view", "change"),
    ("catalog", "category"): ("view",),
    ("catalog", "tag"): ("view",),
    ("catalog", "lesson"): ("view",),
    ("accounts", "instructorapplication"): ("view", "change"),
    ("accounts", "user"): ("view",),
    ("community", "report"): ("view", "change"),
    ("community", "review"): ("view", "change"),
    ("community", "lessoncomment"): ("view", "change"),
    ("community", "discussion"): ("view", "change"),
    ("community", "discussionreply"): ("view", "change"),
    ("support", "ticket"): ("view", "change"),
    ("commerce", "order"): ("view",),
}


def ensure_manager_group() -> Group:
    """The group with exactly its grants (permissions created first if missing)."""
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    wanted = Q(pk__in=[])
    for (app_label, model), actions in GRANTS.items():
        for action in actions:
            wanted |= Q(content_type__app_label=app_label, codename=f"{action}_{model}")
    group, _ = Group.objects.get_or_create(name=MANAGER_GROUP)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate (sent per app): once, for accounts, on the database migrated."""
    if getattr(sender, "label", None) == "accounts" and kwargs.get("using", "default") == "default":
        ensure_manager_group()


# --- changes made to groups in the Django admin, audited ---------------------------------------

GroupState = tuple[str, frozenset[str]]  # (name, permissions as `app_label.codename`)


def group_state(group: Group) -> GroupState:
    """The group's name and permissions (one query): what a change is measured against."""
    permissions = group.permissions.values_list("content_type__app_label", "codename")
    return group.name, frozenset(f"{app_label}.{codename}" for app_label, codename in permissions)


def record_group_saved(
    *, actor: Any, group: Group, before: GroupState | None, request: Any = None
) -> None:
    """Audit a group created (`before` None) or changed: its new name, the permissions granted
    and removed (the "Managers" group's grants decide what managers reach in the admin). A
    save that changed nothing writes no line."""
    name, permissions = group_state(group)
    if before is None:
        action = AuditAction.STAFF_GROUP_CREATED
        data: dict[str, Any] = {"name": name, "permissions": sorted(permissions)}
    else:
        old_name, old_permissions = before
        action = AuditAction.STAFF_GROUP_CHANGED
        data = {}
        if old_name != name:
            data["name"] = {"from": old_name, "to": name}
        if added := sorted(permissions - old_permissions):
            data["added"] = added
        if removed := sorted(old_permissions - permissions):
            data["removed"] = removed
        if not data:
            return
    record(action=action, actor=actor, target=group, request=request, data=data)


def record_group_deleted(*, actor: Any, group: Group, request: Any = None) -> None:
    """Audit a group about to be deleted, with the permissions it held."""
    name, permissions = group_state(group)
    record(
        action=AuditAction.STAFF_GROUP_DELETED,
        actor=actor,
        target=group,
        request=request,
        data={"name": name, "permissions": sorted(permissions)},
    )
