"""Login, registration and reset are limited per client IP and, separately, per account."""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from lms.accounts.models import UserManager


class AuthIPThrottle(SimpleRateThrottle):
    scope = "auth"

    def get_cache_key(self, request: Request, view: Any) -> str:
        # get_ident honours NUM_PROXIES: a forged X-Forwarded-For is not a new client.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthAccountThrottle(SimpleRateThrottle):
    scope = "auth_account"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": UserManager.normalize_email(email),
        }


AUTH_THROTTLES = [AuthIPThrottle, AuthAccountThrottle]
