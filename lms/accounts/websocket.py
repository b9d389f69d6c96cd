"""Channels middleware: authenticate a WebSocket by `?token=<access JWT>`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from lms.accounts.authentication import JWTAuthentication
from lms.accounts.tokens import SESSION_CLAIM


@database_sync_to_async
def _user_for(raw_token: str) -> tuple[Any, str | None]:
    """The token's user and session id (AnonymousUser and None for a token that fails)."""
    authentication = JWTAuthentication()
    try:
        validated = authentication.get_validated_token(raw_token.encode())
        return authentication.get_user(validated), validated.get(SESSION_CLAIM)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser(), None


class JWTQueryStringAuthMiddleware(BaseMiddleware):
    """Sets `scope["user"]`, and `scope["session"]` for the sockets that close when their
    session ends (lms.core.sockets)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        user, session = await _user_for(token) if token else (AnonymousUser(), None)
        scope["user"], scope["session"] = user, session
        return await super().__call__(scope, receive, send)
