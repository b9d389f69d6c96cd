"""Notifications: an in-app row now; the live push and the email after commit, by Celery.

Email, one by one or in a digest (docs/messaging.md, "Digest"): a user gets at most
`NOTIFICATION_EMAILS_PER_HOUR` notification emails of their own in any rolling hour; the
notifications past that wait (`email_status="pending"`) for the hourly digest, one email that
lists them. Both paths honour the per-category preferences, the digest as they stand when it
goes out.

Lock order: the user's row (`select_for_update`), then their notification rows. Only the two
functions that decide about email take it, each in a short transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from lms.core import per_user_cache
from lms.notifications import selectors
from lms.notifications.models import Category, EmailPreference, EmailStatus, Notification

EMAIL_WINDOW = timedelta(hours=1)


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
    _unread_changed(notification.user_id)
    deliver_notification.delay_on_commit(str(notification.pk), send_email=email)
    return notification


def email_enabled(*, user: Any, category: str) -> bool:
    """`user` is a user or a user id."""
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
        _unread_changed(notification.user_id)
    return notification


def mark_all_read(*, user: Any) -> int:
    marked = Notification.objects.filter(user=user, read_at=None).update(
        read_at=timezone.now(), updated_at=timezone.now()
    )
    _unread_changed(getattr(user, "pk", user))
    return marked


def _unread_changed(user_id: Any) -> None:
    """The cached unread count (selectors.unread_count) is stale after this write."""
    per_user_cache.invalidate(name=selectors.UNREAD_COUNT, user_id=user_id)


def group_name(user_id: Any) -> str:
    """The channel-layer group a user's sockets join."""
    return f"notifications.{user_id}"


def _lock_user(user_id: Any) -> None:
    """Step 1 of the lock order: the user's row, so two deliveries for one user queue."""
    list(get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk"))


def emails_per_hour() -> int:
    return int(settings.NOTIFICATION_EMAILS_PER_HOUR)


def route_email(*, notification_id: Any) -> EmailStatus:
    """Decide a notification's email: `sent` (the caller mails it now), `pending` (it waits
    for the digest) or `none` (category off, or decided before: a retried task). Counts the
    emails sent on their own in the last hour under the user's row lock, so concurrent
    deliveries never pass the limit."""
    user_id = Notification.objects.filter(pk=notification_id).values_list("user_id", flat=True)
    owner = user_id.first()
    if owner is None:
        return EmailStatus.NONE
    now = timezone.now()
    with transaction.atomic():
        _lock_user(owner)
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.email_status != EmailStatus.NONE or notification.emailed_at is not None:
            return EmailStatus.NONE
        if not email_enabled(user=owner, category=notification.category):
            return EmailStatus.NONE
        sent_lately = Notification.objects.filter(
            user_id=owner, email_status=EmailStatus.SENT, emailed_at__gte=now - EMAIL_WINDOW
        ).count()
        if sent_lately < emails_per_hour():
            notification.email_status, notification.emailed_at = EmailStatus.SENT, now
        else:
            notification.email_status = EmailStatus.PENDING
        notification.save(update_fields=["email_status", "emailed_at", "updated_at"])
        return EmailStatus(notification.email_status)


@dataclass(frozen=True, slots=True)
class Digest:
    """One user's digest: the notifications it lists, oldest first (none: nothing to send)."""

    user_id: Any
    notification_ids: list[Any]


def users_with_pending_emails() -> list[Any]:
    return list(
        Notification.objects.filter(email_status=EmailStatus.PENDING)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


def take_digest(*, user_id: Any) -> Digest:
    """Mark the user's pending notifications as sent in a digest and return them. Dropped
    instead (`skipped`): the ones already read in the app, and those of a category the user
    has turned off since. Under the user's row lock, so two runs never send one twice."""
    now = timezone.now()
    with transaction.atomic():
        _lock_user(user_id)
        pending = list(
            Notification.objects.select_for_update()
            .filter(user_id=user_id, email_status=EmailStatus.PENDING)
            .order_by("created_at", "id")
            .values_list("id", "category", "read_at")
        )
        wanted = email_preferences(user=user_id)
        listed = [pk for pk, category, read_at in pending if read_at is None and wanted[category]]
        dropped = [pk for pk, *_ in pending if pk not in set(listed)]
        if listed:
            Notification.objects.filter(pk__in=listed).update(
                email_status=EmailStatus.DIGEST, emailed_at=now, updated_at=now
            )
        if dropped:
            Notification.objects.filter(pk__in=dropped).update(
                email_status=EmailStatus.SKIPPED, updated_at=now
            )
    return Digest(user_id=user_id, notification_ids=listed)
