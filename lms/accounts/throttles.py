"""Login, registration and reset are limited per client IP and, separately, per account.

Logins are limited by their failures rather than their number (issue: a stranger's ten wrong
passwords must not lock the owner out): failures count per account and client IP
(`login_failures`, as tight as the per-IP limit) and per account from every address
(`login_account_failures`, a higher ceiling that only many addresses together reach). The
API login and the Django admin login share these counters.

Every limit on guessing fails closed: while the cache (Redis) does not answer, a counter can
be neither read nor written, so an endpoint that checks a password or a code answers 503
`service_unavailable` rather than check it uncounted (`require_cache`; docs/operations.md,
"Redis down"). A Redis that answers but refuses writes (maxmemory with noeviction, a replica
promoted read-only) is caught before the password is checked, and any error while a counter
is read or written is answered 503 too: the counters live in the `limits` cache alias, whose
errors raise (`failing_closed`). The read throttles (`anon`, `user`) fail
open.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from lms.accounts.models import UserManager
from lms.core.cache_health import counters_writable, failing_closed, limits_cache
from lms.core.errors import ServiceUnavailable

# Set on a request whose write probe succeeded: its later checks skip the probe.
_PROBED = "_limits_counters_writable"


def require_cache(request: Any = None) -> None:
    """Raise 503 `service_unavailable` unless the limits' counters can be written now, before
    any password or code is checked: one SET through the `limits` alias, at most 0.5 s + 1 s
    in production, none while the circuit breaker is open (lms/core/cache_health.py
    `counters_writable`). A PING alone is not enough: a Redis out of memory answers it and
    refuses the write that would count a wrong password.

    With the `request`, the probe is made once per request (a login's IP throttle and its
    failure counters ask in turn, milliseconds apart); a write that fails after it is still
    503 (`failing_closed`), never an uncounted guess."""
    if request is not None and getattr(request, _PROBED, False):
        return
    if not counters_writable():
        raise ServiceUnavailable()
    if request is not None:
        setattr(request, _PROBED, True)


class AuthIPThrottle(SimpleRateThrottle):
    """On every sign-in, registration, reset, two-factor and password-change endpoint; fails
    closed (503 service_unavailable) while the cache is down, where the read throttles fail
    open."""

    scope = "auth"
    fails_closed = True  # the OpenAPI document declares 503 where it applies (lms.core.schema)
    cache = limits_cache

    def allow_request(self, request: Request, view: Any) -> bool:
        require_cache(request)
        with failing_closed():
            return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        # get_ident honours NUM_PROXIES: a forged X-Forwarded-For is not a new client.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthAccountThrottle(SimpleRateThrottle):
    scope = "auth_account"
    cache = limits_cache

    def allow_request(self, request: Request, view: Any) -> bool:
        with failing_closed():
            return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        # A digest, never the address: no email in the cache, and a key of fixed length
        # whatever the body holds (memcached-style limits of 250 characters).
        account = hashlib.sha256(UserManager.normalize_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": account}


AUTH_THROTTLES = [AuthIPThrottle, AuthAccountThrottle]


# --- failed logins -----------------------------------------------------------------------------


class LoginFailureLimit(SimpleRateThrottle):
    """Failed logins under one key, in DRF's sliding window; a right password adds nothing."""

    num_requests: int  # set from `rate` by SimpleRateThrottle.__init__
    duration: int
    cache = limits_cache

    def __init__(self, ident: str) -> None:
        super().__init__()
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}

    def reached(self, request: Any = None) -> bool:
        """True once the window holds `num_requests` failures; 503 `service_unavailable` when
        the cache does not answer (a miss would read as no failure at all: every caller,
        login, admin login, two-factor codes and account deletion, fails closed here)."""
        require_cache(request)
        with failing_closed():
            return self._load() >= self.num_requests

    def reached_given(self, history: list[float]) -> bool:
        """`reached` for a history already read (`login_refused_for` reads two at once)."""
        return self._load(history) >= self.num_requests

    def _load(self, history: list[float] | None = None) -> int:
        self.history = self.cache.get(self.key, []) if history is None else list(history)
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history)

    def count_failure(self) -> None:
        """One more failure; 503 when it cannot be written (never an uncounted guess)."""
        with failing_closed():
            self._load()
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)

    def forget(self) -> None:
        """503 when the cache refuses, as for a failure: the two answers look alike."""
        with failing_closed():
            self.cache.delete(self.key)


class AccountAndIPLoginFailures(LoginFailureLimit):
    scope = "login_failures"


class AccountLoginFailures(LoginFailureLimit):
    scope = "login_account_failures"


class MfaFailures(LoginFailureLimit):
    """Wrong two-factor codes of one account (key: the user id), from every address."""

    scope = "mfa_failures"


def _limits(*, email: str, request: HttpRequest | Request) -> list[LoginFailureLimit]:
    # The address is hashed: any characters fit a cache key, and no address sits in one.
    account = hashlib.sha256(UserManager.normalize_email(email).encode()).hexdigest()
    ip = BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # reads META only
    return [AccountAndIPLoginFailures(f"{account}:{ip}"), AccountLoginFailures(account)]


def login_refused_for(*, email: str, request: HttpRequest | Request) -> float | None:
    """Seconds to wait when this account, from this client or from all, failed too often.
    Both counters are read in one round trip (`get_many`), after the request's write probe;
    503 when the cache cannot answer, as `LoginFailureLimit.reached`."""
    limits = _limits(email=email, request=request)
    require_cache(request)
    with failing_closed():
        histories = limits_cache.get_many([limit.key for limit in limits])
    reached = [limit for limit in limits if limit.reached_given(histories.get(limit.key, []))]
    return max(limit.wait() or 1.0 for limit in reached) if reached else None


def count_login_failure(*, email: str, request: HttpRequest | Request) -> None:
    for limit in _limits(email=email, request=request):
        limit.count_failure()


def forget_login_failures(*, email: str, request: HttpRequest | Request) -> None:
    """After a right password: this client's failures on the account are forgiven; the
    account's count from every address stays, or each owner login would reset the budget
    of a distributed guesser."""
    _limits(email=email, request=request)[0].forget()


def login_email(request: HttpRequest | Request) -> str | None:
    """The account a login names: `email` of the API's body, `username` of the admin form."""
    data: Any = request.data if isinstance(request, Request) else request.POST
    value = data.get("email", data.get("username")) if hasattr(data, "get") else None
    return value if isinstance(value, str) and value.strip() else None


class LoginFailureThrottle(BaseThrottle):
    """Refuses a login (429, Retry-After) once its account's failures reach a ceiling."""

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        email = login_email(request)
        if email is not None:
            self.wait_seconds = login_refused_for(email=email, request=request)
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds


LOGIN_THROTTLES = [AuthIPThrottle, LoginFailureThrottle]
