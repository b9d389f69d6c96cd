"""The public certificate check is limited per client address: codes are not for guessing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

DEFAULT_VERIFY_RATE = "30/minute"


class CertificateVerifyThrottle(SimpleRateThrottle):
    scope = "certificate_verify"

    def get_rate(self) -> str | None:
        # Read on every request so `CERTIFICATE_VERIFY_THROTTLE` (env or a test) takes effect.
        rate: str | None = getattr(settings, "CERTIFICATE_VERIFY_THROTTLE", DEFAULT_VERIFY_RATE)
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str:
        # get_ident honours NUM_PROXIES: a forged X-Forwarded-For is not a new client.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
