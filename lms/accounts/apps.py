from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lms.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from lms.accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from lms.accounts.models import User

        # Framework hooks, not business flow (as Zulip flushes its cached user profile): a
        # user saved or deleted by any path (a service, the admin, a cascade) is read afresh
        # by the next request. Queryset updates flush explicitly (tokens.revoke_all_tokens).
        post_save.connect(_flush_cached_user, sender=User, dispatch_uid="accounts.user_saved")
        post_delete.connect(_flush_cached_user, sender=User, dispatch_uid="accounts.user_deleted")


def _flush_cached_user(instance: Any, **kwargs: Any) -> None:
    from lms.accounts.user_cache import flush_cached_user

    flush_cached_user(instance)
