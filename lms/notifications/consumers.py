from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from lms.core.sockets import SessionSocketsMixin
from lms.notifications.services import group_name


class NotificationConsumer(SessionSocketsMixin, AsyncJsonWebsocketConsumer):
    """`/ws/notifications/?token=<access>`: new notifications of the user, as JSON; closed
    with 4401 when the session it was opened in ends (lms.core.sockets)."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = group_name(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.join_user_sockets(user.pk)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.leave_user_sockets()

    async def notification_created(self, event: dict[str, Any]) -> None:
        await self.send_json(event["notification"])
