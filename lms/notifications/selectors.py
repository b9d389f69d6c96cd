from typing import Any

from django.db.models import QuerySet

from lms.notifications.models import Notification


def notifications_of(*, user_id: Any) -> QuerySet[Notification]:
    """A user's notifications, newest first."""
    return Notification.objects.filter(user_id=user_id).order_by("-created_at")


def unread_count(*, user_id: Any) -> int:
    return Notification.objects.filter(user_id=user_id, read_at=None).count()
