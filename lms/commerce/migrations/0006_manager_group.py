"""The "Managers" group: the Django admin permissions of the queues a manager works
(docs/commerce.md, "Staff in the Django admin"). accounts.services gives it to every user
whose role becomes manager (and takes it away otherwise); this migration also gives it to
the managers that exist already.

It lives in the highest app whose models it grants the permissions of, after the latest
migration of each app it names, so that every content type and permission exists. Django
creates permissions after `migrate` (post_migrate), which is too late for a fresh database:
they are created here first, with the historical models.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q

MANAGER_GROUP = "Managers"

# (app label, model name) -> permissions: the review queues (courses, instructor
# applications), moderation (reports and the items they hide), support tickets; a read of
# users, the catalog and orders to answer those. Money (payouts, refunds) stays with admins.
GRANTS = {
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


def create_manager_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("accounts", "User")
    wanted = Q(pk__in=[])
    for (app_label, model), actions in GRANTS.items():
        for action in actions:
            wanted |= Q(content_type__app_label=app_label, codename=f"{action}_{model}")
    group, _ = Group.objects.get_or_create(name=MANAGER_GROUP)
    group.permissions.set(Permission.objects.filter(wanted))
    managers = User.objects.filter(role="manager")
    managers.update(is_staff=True)
    for manager in managers:
        manager.groups.add(group)


def delete_manager_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MANAGER_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0003_second_round_universities_onboarding_2fa_export"),
        ("catalog", "0004_money_columns_for_every_supported_currency"),
        ("community", "0002_discussion_search_vector_gin"),
        ("support", "0001_initial"),
        ("commerce", "0005_order_item_reference_constraints"),
    ]

    operations = [migrations.RunPython(create_manager_group, delete_manager_group)]
