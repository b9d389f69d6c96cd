from __future__ import annotations

from typing import Any

from lms.notifications.services import group_name
from lms.notifications.sockets import UserSocketConsumer


class NotificationConsumer(UserSocketConsumer):
    """`/ws/notifications/?token=<access>`: the user's new notifications, one JSON object
    each (the shape of `GET /api/v1/notifications/` items). Closed with 4401 for a missing,
    bad or expired token and when the session it was opened in ends (lms.notifications.sockets)."""

    async def groups_for(self, user: Any) -> list[str] | None:
        return [group_name(user.pk)]

    async def notification_created(self, event: dict[str, Any]) -> None:
        await self.send_json(event["notification"])
