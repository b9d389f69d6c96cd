"""A user's live WebSockets, closed when their session ends.

Every consumer joins one channel-layer group per user (`SessionSocketsMixin`); the services
that end sessions (a password change or reset, a deactivation: every session; a logout: one)
call `close_user_sockets` in their transaction, and after commit each matching socket closes
with 4401, the code a client reads as "sign in again". Sockets carry their session id (the
`sid` claim of the token they were opened with) in `scope["session"]`.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

SESSION_ENDED_CLOSE_CODE = 4401


def user_sockets_group(user_id: Any) -> str:
    """The channel-layer group every socket of the user joins."""
    return f"sockets.{user_id}"


def close_user_sockets(*, user_id: Any, session: str | None = None) -> None:
    """After commit, close the user's sockets with 4401: all of them, or with `session` only
    those opened with a token of that session. A channel layer that is down is logged, never
    raised: the session has ended in the database already, and sockets re-check nothing."""
    group = user_sockets_group(user_id)
    message = {"type": "session.ended", "session": session}

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # a broker outage must not undo a password change
            logger.warning("sockets.close_failed", extra={"user": str(user_id)}, exc_info=True)

    transaction.on_commit(send)


class SessionSocketsMixin:
    """For an `AsyncWebsocketConsumer`: `await self.join_user_sockets(user_id)` once the user
    is known; the socket then closes with 4401 when the user's session ends."""

    scope: dict[str, Any]
    channel_layer: Any
    channel_name: str

    async def join_user_sockets(self, user_id: Any) -> None:
        self.sockets_group = user_sockets_group(user_id)
        await self.channel_layer.group_add(self.sockets_group, self.channel_name)

    async def leave_user_sockets(self) -> None:
        group = getattr(self, "sockets_group", None)
        if group is not None:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def session_ended(self, event: dict[str, Any]) -> None:
        session = event.get("session")
        if session is None or session == self.scope.get("session"):
            await self.close(code=SESSION_ENDED_CLOSE_CODE)  # type: ignore[attr-defined]
