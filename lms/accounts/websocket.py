"""Channels middleware: authenticate a WebSocket by `?token=<access JWT>`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from lms.accounts.authentication import JWTAuthentication


@database_sync_to_async
def _user_for(raw_token: str) -> Any:
    authentication = JWTAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw_token.encode()))
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser()


class JWTQueryStringAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        scope["user"] = await _user_for(token) if token else AnonymousUser()
        return await super().__call__(scope, receive, send)
