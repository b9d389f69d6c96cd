"""Staff groups' permissions changed in the Django admin write audit lines (who, which
group, what changed); a user's own permissions and groups are not editable there."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from lms.audit import chain
from lms.audit.actions import AuditAction
from lms.audit.models import AuditLog
from lms.core.permissions import MANAGER_GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(admin_user: Any) -> Client:
    client = Client(HTTP_USER_AGENT="admin-browser/1", REMOTE_ADDR="198.51.100.20")
    client.force_login(admin_user)
    return client


def permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def form(name: str, permissions: list[Permission]) -> dict[str, Any]:
    return {"name": name, "permissions": [str(p.pk) for p in permissions]}


def test_granting_the_managers_a_permission_writes_a_line(admin_site, admin_user):
    managers = Group.objects.get(name=MANAGER_GROUP)
    current = list(managers.permissions.all())
    dropped = permission("support.change_ticket")
    granted = permission("payouts.change_withdrawal")
    wanted = [p for p in current if p != dropped] + [granted]

    response = admin_site.post(
        f"/admin/auth/group/{managers.pk}/change/", form(MANAGER_GROUP, wanted)
    )

    assert response.status_code == 302, response.content[:500]
    assert granted in managers.permissions.all()
    line = AuditLog.objects.get(action=AuditAction.STAFF_GROUP_CHANGED)
    assert line.actor_id == admin_user.pk
    assert (line.target_type, line.target_id) == ("auth.group", str(managers.pk))
    assert line.data == {
        "added": ["payouts.change_withdrawal"],
        "removed": ["support.change_ticket"],
    }
    assert line.user_agent == "admin-browser/1"
    assert str(line.ip) == "198.51.100.20"
    chain.seal_all()
    assert chain.verify().ok


def test_saving_unchanged_writes_nothing_and_a_rename_is_named(admin_site):
    group = Group.objects.create(name="Reviewers")
    group.permissions.add(permission("catalog.view_course"))
    url = f"/admin/auth/group/{group.pk}/change/"

    admin_site.post(url, form("Reviewers", [permission("catalog.view_course")]))
    assert not AuditLog.objects.filter(action=AuditAction.STAFF_GROUP_CHANGED).exists()

    admin_site.post(url, form("Senior reviewers", [permission("catalog.view_course")]))
    line = AuditLog.objects.get(action=AuditAction.STAFF_GROUP_CHANGED)
    assert line.data == {"name": {"from": "Reviewers", "to": "Senior reviewers"}}


def test_creating_and_deleting_a_group_write_lines(admin_site, admin_user):
    response = admin_site.post(
        "/admin/auth/group/add/", form("Auditors", [permission("commerce.view_order")])
    )
    assert response.status_code == 302
    group = Group.objects.get(name="Auditors")
    created = AuditLog.objects.get(action=AuditAction.STAFF_GROUP_CREATED)
    assert created.data == {"name": "Auditors", "permissions": ["commerce.view_order"]}
    assert created.actor_id == admin_user.pk

    response = admin_site.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditLog.objects.get(action=AuditAction.STAFF_GROUP_DELETED)
    assert deleted.target_id == str(group.pk)
    assert deleted.data == {"name": "Auditors", "permissions": ["commerce.view_order"]}


def test_deleting_selected_groups_writes_a_line_each(admin_site):
    groups = [Group.objects.create(name=f"Temporary {n}") for n in range(2)]

    response = admin_site.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [g.pk for g in groups], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Group.objects.filter(name__startswith="Temporary").exists()
    assert sorted(
        AuditLog.objects.filter(action=AuditAction.STAFF_GROUP_DELETED).values_list(
            "target_id", flat=True
        )
    ) == sorted(str(g.pk) for g in groups)


def test_a_users_permissions_and_groups_are_not_editable_in_the_admin(admin_site, student):
    url = f"/admin/accounts/user/{student.pk}/change/"
    page = admin_site.get(url)
    assert b'name="user_permissions"' not in page.content
    assert b'name="groups"' not in page.content
    assert b'name="is_superuser"' not in page.content

    admin_site.post(
        url,
        {
            "first_name": student.first_name,
            "last_name": student.last_name,
            "role": student.role,
            "is_active": "on",
            "user_permissions": [str(permission("payouts.change_withdrawal").pk)],
            "groups": [str(Group.objects.get(name=MANAGER_GROUP).pk)],
        },
    )

    student.refresh_from_db()
    assert not student.user_permissions.exists()
    assert not student.groups.exists()
