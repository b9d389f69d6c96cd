"""Notifications' part of a person's export and deletion. Registered by accounts' AppConfig
(notifications sits below accounts and never imports it; lms.accounts.personal_data).

Export: notifications and email preferences. Erase: both go.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lms.core import per_user_cache
from lms.notifications.models import EmailPreference, Notification
from lms.notifications.selectors import UNREAD_COUNT


def export(user: Any) -> Iterator[tuple[str, Any]]:
    """(path, data) pairs; accounts wraps them as ExportDocuments."""
    yield (
        "notifications/notifications.json",
        list(
            Notification.objects.filter(user=user)
            .order_by("created_at")
            .values("id", "category", "title", "body", "data", "read_at", "created_at")
        ),
    )
    yield (
        "notifications/email_preferences.json",
        list(EmailPreference.objects.filter(user=user).values("category", "enabled")),
    )


def erase(user: Any) -> None:
    Notification.objects.filter(user=user).delete()
    per_user_cache.invalidate(name=UNREAD_COUNT, user_id=user.pk)
    EmailPreference.objects.filter(user=user).delete()
