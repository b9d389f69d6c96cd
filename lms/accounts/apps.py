from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lms.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from lms.accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from lms.accounts.models import InstructorProfile, StudentProfile, User

        _register_personal_data_of_lower_apps()

        from lms.accounts import staff_groups

        # Data the product needs, recreated after migrate and flush (lms/accounts/staff_groups.py).
        post_migrate.connect(staff_groups.on_post_migrate, dispatch_uid="accounts.manager_group")

        # Framework hooks, not business flow (as Zulip flushes its cached user profile): a
        # user or profile saved or deleted by any path (a service, the admin, a cascade) is
        # read afresh by the next request. Queryset updates of the user flush explicitly
        # (tokens.revoke_all_tokens); those of profiles touch only counters /me does not show.
        for signal in (post_save, post_delete):
            signal.connect(_flush_cached_user, sender=User, weak=False)
            for profile in (StudentProfile, InstructorProfile):
                signal.connect(_flush_cached_user_of_profile, sender=profile, weak=False)


def _flush_cached_user(instance: Any, **kwargs: Any) -> None:
    from lms.accounts.user_cache import flush_cached_user

    flush_cached_user(instance)


def _flush_cached_user_of_profile(instance: Any, **kwargs: Any) -> None:
    from lms.accounts.user_cache import flush_cached_user

    flush_cached_user(instance.user)


def _register_personal_data_of_lower_apps() -> None:
    """Audit and notifications sit below accounts and never import it: accounts registers
    their export and erasure (lms.accounts.personal_data)."""
    from lms.accounts import personal_data
    from lms.audit import personal_data as audit_data
    from lms.notifications import personal_data as notification_data

    def documents(pairs: Any) -> Any:
        return (personal_data.ExportDocument(path, data) for path, data in pairs)

    def erase_audit(user: Any) -> None:
        audit_data.erase(user, needles=personal_data.identifying_texts(user))

    personal_data.exporters.register(
        "notifications", lambda user: documents(notification_data.export(user))
    )
    personal_data.erasers.register("notifications", notification_data.erase)
    personal_data.exporters.register("audit", lambda user: documents(audit_data.export(user)))
    personal_data.erasers.register("audit", erase_audit)
