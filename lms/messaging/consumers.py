from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from lms.messaging import selectors
from lms.messaging.live import conversation_group
from lms.notifications.sockets import UserSocketConsumer


class ConversationConsumer(UserSocketConsumer):
    """`/ws/conversations/{id}/?token=<access>`: the conversation's new messages and read
    receipts, to its two participants only (lms.messaging.live has the events). Closed with
    4401 for a missing, bad or expired token, with 4404 for anyone who is not a participant
    (or no such conversation), and with 4401 when the session ends."""

    async def groups_for(self, user: Any) -> list[str] | None:
        conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        allowed = await database_sync_to_async(selectors.is_participant)(
            user_id=user.pk, conversation_id=conversation_id
        )
        return [conversation_group(conversation_id)] if allowed else None

    async def message_created(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "message": event["message"]})

    async def messages_read(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "read", **event["receipts"]})
