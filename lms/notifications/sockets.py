"""What every WebSocket route shares: who may open one, and how a refusal reads.

- **Origin** (`SocketOriginValidator`, wrapped around every route in `config/asgi.py`): a
  browser always sends `Origin`, so a foreign one (not a host of `ALLOWED_HOSTS`, not one of
  `CORS_ALLOWED_ORIGINS` or `FRONTEND_URL`) is refused at the handshake (HTTP 403): another
  site's page cannot open a socket with a token it stole. A client without `Origin` (a
  script, a mobile app) is no browser and is let through to the token check.
- **Token** (`?token=<access JWT>`, read by `lms.accounts.websocket`): a missing, bad or
  expired token is accepted and at once closed with code 4401, the code a client reads as
  "sign in again" (a refusal before the handshake completes would reach the client as an
  HTTP 403 with no code). The same code closes an open socket whose session ends
  (`lms.core.sockets`).
- **Object** (`UserSocketConsumer.authorize`): a route for one object (a conversation)
  closes with 4404 for a user who may not see it, whether or not it exists.
- **Route**: a path under `/ws/` that names no route (or a conversation id that is not a
  UUID) is accepted and closed with 4404 (`UnknownRouteConsumer`), not left to an error.
- Sockets are receive-only: whatever a client sends is ignored (writes go through the API).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import OriginValidator
from django.conf import settings

from lms.core.sockets import SESSION_ENDED_CLOSE_CODE, SessionSocketsMixin

UNAUTHENTICATED_CLOSE_CODE = SESSION_ENDED_CLOSE_CODE  # 4401
NOT_FOUND_CLOSE_CODE = 4404


def allowed_origins() -> list[str]:
    """`ALLOWED_HOSTS` (any scheme and port) and the front end's origins (exact)."""
    origins = [*settings.ALLOWED_HOSTS, *getattr(settings, "CORS_ALLOWED_ORIGINS", [])]
    frontend = getattr(settings, "FRONTEND_URL", "")
    if frontend:
        parsed = urlparse(frontend)
        origins.append(f"{parsed.scheme}://{parsed.netloc}")
    return origins


class SocketOriginValidator(OriginValidator):
    """channels' validator, except that a handshake without `Origin` passes (channels'
    refuses it unless every origin is allowed)."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))


def origin_checked(application: Any) -> SocketOriginValidator:
    return SocketOriginValidator(application, allowed_origins())


class UserSocketConsumer(SessionSocketsMixin, AsyncJsonWebsocketConsumer):
    """A signed-in user's socket: `groups_for` names the channel-layer groups it listens to.

    Refusals are accepted first and closed with their code (4401, 4404), so every client
    reads the code. The socket also joins the user's session group (lms.core.sockets).
    """

    async def groups_for(self, user: Any) -> list[str] | None:
        """The groups to join, or None when `user` may not open this route (closed 4404)."""
        raise NotImplementedError

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(UNAUTHENTICATED_CLOSE_CODE)
            return
        groups = await self.groups_for(user)
        if groups is None:
            await self._refuse(NOT_FOUND_CLOSE_CODE)
            return
        self.joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.join_user_sockets(user.pk)
        await self.accept()

    async def _refuse(self, code: int) -> None:
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.leave_user_sockets()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Receive-only: what a client sends is ignored (never parsed)."""
        return None


class UnknownRouteConsumer(AsyncJsonWebsocketConsumer):
    """Every other path under `/ws/`: accepted and closed with 4404 (no such route)."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=NOT_FOUND_CLOSE_CODE)
