"""Notifications: an in-app row now; the live push and the email after commit, by Celery."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from lms.notifications.models import Category, EmailPreference, Notification


def notify(
    *,
    user: Any,
    category: Category | str,
    title: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    email: bool = True,
) -> Notification:
    """Create a notification for `user`; push it live and email it once the transaction commits.

    The email goes only when `email` is true and the user has not turned the category off.
    """
    from lms.notifications.tasks import deliver_notification

    notification = Notification.objects.create(
        user=user, category=Category(category), title=title, body=body, data=data or {}
    )
    transaction.on_commit(
        lambda: deliver_notification.delay(str(notification.pk), send_email=email)
    )
    return notification


def email_enabled(*, user: Any, category: str) -> bool:
    preference = EmailPreference.objects.filter(user=user, category=category).first()
    return preference is None or preference.enabled


def email_preferences(*, user: Any) -> dict[str, bool]:
    """Every category with the user's choice (default on)."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("category", "enabled"))
    return {category.value: chosen.get(category.value, True) for category in Category}


@transaction.atomic
def update_email_preferences(*, user: Any, changes: dict[str, bool]) -> dict[str, bool]:
    for category, enabled in changes.items():
        EmailPreference.objects.update_or_create(
            user=user, category=Category(category), defaults={"enabled": enabled}
        )
    return email_preferences(user=user)


def mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


def mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(
        read_at=timezone.now(), updated_at=timezone.now()
    )


def group_name(user_id: Any) -> str:
    """The channel-layer group a user's sockets join."""
    return f"notifications.{user_id}"
