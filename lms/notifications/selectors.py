from typing import Any

from django.db.models import QuerySet

from lms.core import per_user_cache
from lms.notifications.models import Notification


def notifications_of(*, user_id: Any) -> QuerySet[Notification]:
    """A user's notifications, newest first."""
    return Notification.objects.filter(user_id=user_id).order_by("-created_at")


UNREAD_COUNT = "notifications:unread"


def unread_count(*, user_id: Any) -> int:
    """How many of the user's notifications are unread; kept per user in the cache until a
    service that changes it calls `per_user_cache.invalidate(name=UNREAD_COUNT, ...)`."""
    return per_user_cache.cached(
        name=UNREAD_COUNT,
        user_id=user_id,
        build=lambda: Notification.objects.filter(user_id=user_id, read_at=None).count(),
    )
