from __future__ import annotations

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer
from django.conf import settings

from config.celery import send_or_keep
from lms.core.email import send_templated_email
from lms.core.tasks import IDEMPOTENT, RETRIED
from lms.notifications import services
from lms.notifications.models import EmailStatus, Notification


def serialize(notification: Notification) -> dict[str, object]:
    return {
        "id": str(notification.pk),
        "category": notification.category,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
        "created_at": notification.created_at.isoformat(),
    }


@shared_task(**RETRIED, **IDEMPOTENT)
def deliver_notification(notification_id: str, send_email: bool = True) -> None:
    """Push a notification to the user's open sockets and email it when the user wants that."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:
        return
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            services.group_name(notification.user_id),
            {"type": "notification.created", "notification": serialize(notification)},
        )
    if send_email and services.route_email(notification_id=notification.pk) == EmailStatus.SENT:
        # Marked sent first (route_email): a retried task never mails twice. Its own task,
        # with its own retries: a failed send must not push again.
        send_notification_email.delay_on_commit(str(notification.pk))


@shared_task(**RETRIED)
def send_notification_email(notification_id: str) -> None:
    """The email of a notification, built in the task from its id (never a body argument)."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:
        return
    send_templated_email(
        to=notification.user.email,
        template="notification",
        context={"notification": notification, "frontend_url": settings.FRONTEND_URL},
    )


@shared_task(**RETRIED, **IDEMPOTENT)
def send_notification_digests() -> int:
    """Beat, hourly: one digest email per user with notifications waiting for it; returns
    how many digests were queued. A second run finds nothing pending."""
    queued = 0
    for user_id in services.users_with_pending_emails():
        digest = services.take_digest(user_id=user_id)
        if digest.notification_ids:
            # take_digest committed its claim already: send now; a broker that refuses it
            # (or a cool-down) leaves the digest in the outbox (config/celery.py), not lost
            send_or_keep(
                send_digest_email, str(user_id), [str(pk) for pk in digest.notification_ids]
            )
            queued += 1
    return queued


@shared_task(**RETRIED)
def send_digest_email(user_id: str, notification_ids: list[str]) -> None:
    """The digest email of `notification_ids`, built here from ids (never a body argument)."""
    notifications = list(
        Notification.objects.filter(user_id=user_id, pk__in=notification_ids)
        .select_related("user")
        .order_by("created_at", "id")
    )
    if not notifications:
        return
    send_templated_email(
        to=notifications[0].user.email,
        template="notification_digest",
        context={"notifications": notifications, "frontend_url": settings.FRONTEND_URL},
    )
