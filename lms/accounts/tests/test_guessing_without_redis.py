"""Every endpoint that checks a password or a code fails closed once Redis stops.

A real `redis-server` (a throwaway one on a free port, no persistence) backs the cache with
the configuration config/settings.py builds for a `REDIS_URL`; each test signs in or takes
what it needs while Redis answers, stops the server (its pooled connections break, as in
production) and sends a RIGHT password or code: the answer is 503 `service_unavailable`
(the Django admin's login: 503 text/plain), the account is left as it was, and reads keep
working. Without the cache the limits on guessing (lms/accounts/throttles.py) could count
nothing, so a right answer must not be accepted either: a guesser could not tell a 503 for a
wrong one from a 503 for a right one. `lms/core/tests/test_redis_down.py` covers the other
endpoints against a port where nothing ever listened.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from lms.accounts import services, two_factor
from lms.accounts.models import OneTimeCode, TwoFactorDevice, User
from lms.accounts.tests.factories import PASSWORD, AdminFactory, UserFactory
from lms.accounts.throttles import AccountAndIPLoginFailures
from lms.conftest import error_codes
from lms.core.tests.test_redis_down import _closed_port, _production_caches

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed"),
]

NEW_PASSWORD = "An0ther-long-passphrase!"


class RedisServer:
    """`redis-server` on `port` with nothing written to disk; start/stop as often as needed."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        assert not self.answers()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server(settings: Any, tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(_closed_port(), tmp_path)
    server.start()
    try:
        production = _production_caches(f"redis://127.0.0.1:{server.port}/0")
        settings.CACHES = production["CACHES"]
        settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = production["LOG"]
        assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
        yield server
    finally:
        server.stop()


def _bearer(user: User) -> APIClient:
    """A client signed in through the API's login while Redis answers (a real session)."""
    response = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def _with_two_factor(user: User) -> pyotp.TOTP:
    device = TwoFactorDevice.objects.create(
        user=user, secret=pyotp.random_base32(), confirmed_at=timezone.now()
    )
    return pyotp.TOTP(device.secret)


@dataclass
class Attempt:
    """A request with a right password or code, prepared while Redis answers."""

    send: Callable[[], Any]
    unchanged: Callable[[], bool]  # True when the account is as it was before the attempt
    json: bool = True  # the API's error shape; False for the Django admin (text/plain)


def _login() -> Attempt:
    user = UserFactory()
    client = APIClient()
    return Attempt(
        send=lambda: client.post(
            "/api/v1/auth/login/", {"email": user.email, "password": PASSWORD}
        ),
        unchanged=lambda: User.objects.get(pk=user.pk).last_login is None,
    )


def _login_second_step() -> Attempt:
    user = UserFactory()
    totp = _with_two_factor(user)
    challenge = two_factor.issue_challenge(user=user)
    client = APIClient()
    return Attempt(
        send=lambda: client.post(
            "/api/v1/auth/login/2fa/", {"challenge": challenge, "code": totp.now()}
        ),
        unchanged=lambda: User.objects.get(pk=user.pk).last_login is None,
    )


def _two_factor_confirm() -> Attempt:
    user = UserFactory()
    client = _bearer(user)
    setup = client.post("/api/v1/auth/2fa/setup/")
    assert setup.status_code == 200, setup.content
    totp = pyotp.TOTP(setup.json()["secret"])
    return Attempt(
        send=lambda: client.post("/api/v1/auth/2fa/confirm/", {"code": totp.now()}),
        unchanged=lambda: not two_factor.is_enabled(user),
    )


def _two_factor_disable() -> Attempt:
    user = UserFactory()
    client = _bearer(user)  # before the device: a password-only login
    totp = _with_two_factor(user)
    return Attempt(
        send=lambda: client.post("/api/v1/auth/2fa/disable/", {"code": totp.now()}),
        unchanged=lambda: two_factor.is_enabled(user),
    )


def _change_password() -> Attempt:
    user = UserFactory()
    client = _bearer(user)
    return Attempt(
        send=lambda: client.post(
            "/api/v1/auth/change-password/",
            {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        ),
        unchanged=lambda: User.objects.get(pk=user.pk).check_password(PASSWORD),
    )


def _delete_account() -> Attempt:
    user = UserFactory()
    client = _bearer(user)
    return Attempt(
        send=lambda: client.delete("/api/v1/auth/me/", {"password": PASSWORD}, format="json"),
        unchanged=lambda: User.objects.get(pk=user.pk).email == user.email,
    )


def _delete_account_with_two_factor() -> Attempt:
    user = UserFactory()
    client = _bearer(user)
    totp = _with_two_factor(user)
    return Attempt(
        send=lambda: client.delete(
            "/api/v1/auth/me/", {"password": PASSWORD, "code": totp.now()}, format="json"
        ),
        unchanged=lambda: User.objects.get(pk=user.pk).email == user.email,
    )


def _admin_login() -> Attempt:
    admin = AdminFactory()
    client = Client()
    return Attempt(
        send=lambda: client.post(
            "/admin/login/", {"username": admin.email, "password": PASSWORD, "next": "/admin/"}
        ),
        unchanged=lambda: "_auth_user_id" not in client.session,
        json=False,
    )


def _password_reset_confirm() -> Attempt:
    user = UserFactory()
    _, code = services.issue_one_time_code(user=user, purpose=OneTimeCode.Purpose.PASSWORD_RESET)
    return Attempt(
        send=lambda: APIClient().post(
            "/api/v1/auth/password-reset/confirm/",
            {"email": user.email, "code": code, "new_password": NEW_PASSWORD},
        ),
        unchanged=lambda: User.objects.get(pk=user.pk).check_password(PASSWORD),
    )


def _verify_email() -> Attempt:
    user = UserFactory(email_verified_at=None)
    token, _ = services.issue_one_time_code(user=user, purpose=OneTimeCode.Purpose.VERIFY_EMAIL)
    return Attempt(
        send=lambda: APIClient().post("/api/v1/auth/verify-email/", {"token": token}),
        unchanged=lambda: User.objects.get(pk=user.pk).email_verified_at is None,
    )


def _resend_verification() -> Attempt:
    user = UserFactory(email_verified_at=None)
    return Attempt(
        send=lambda: APIClient().post("/api/v1/auth/resend-verification/", {"email": user.email}),
        unchanged=lambda: not OneTimeCode.objects.filter(user=user).exists(),
    )


ATTEMPTS = {
    "login": _login,
    "login 2fa step": _login_second_step,
    "2fa confirm": _two_factor_confirm,
    "2fa disable": _two_factor_disable,
    "change password": _change_password,
    "account deletion": _delete_account,
    "account deletion with 2fa": _delete_account_with_two_factor,
    "admin login": _admin_login,
    "password reset confirm": _password_reset_confirm,
    "email verification": _verify_email,
    "resend verification": _resend_verification,
}


@pytest.mark.parametrize("prepare", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_a_right_password_or_code_is_refused_with_503_once_redis_stops(
    redis_server: RedisServer, prepare: Callable[[], Attempt]
) -> None:
    attempt = prepare()
    redis_server.stop()

    response = attempt.send()

    assert response.status_code == 503, response.content
    if attempt.json:
        assert error_codes(response) == ["service_unavailable"]
    else:
        assert response["Content-Type"].startswith("text/plain")
        assert response["Retry-After"]
    assert b"Traceback" not in response.content
    assert attempt.unchanged()


def test_reads_and_profile_writes_keep_working_once_redis_stops(
    redis_server: RedisServer,
) -> None:
    user = UserFactory()
    client = _bearer(user)
    assert client.get("/api/v1/auth/me/").status_code == 200  # cached while Redis answers

    redis_server.stop()

    me = client.get("/api/v1/auth/me/")
    assert me.status_code == 200, me.content
    assert me.json()["email"] == user.email
    renamed = client.patch("/api/v1/auth/me/", {"first_name": "Offline"}, format="json")
    assert renamed.status_code == 200, renamed.content
    assert client.get("/api/v1/auth/me/").json()["first_name"] == "Offline"
    assert APIClient().get("/api/v1/courses/").status_code == 200


def test_sign_in_and_its_limits_work_again_once_redis_is_back(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setattr(AccountAndIPLoginFailures, "rate", "2/minute", raising=False)
    settings.CACHE_BREAKER_COOLDOWN_SECONDS = 0.2  # production: 5 (lms.core.cache_client)
    user = UserFactory()
    redis_server.stop()
    wrong = {"email": user.email, "password": "not-the-password"}
    assert APIClient().post("/api/v1/auth/login/", wrong).status_code == 503

    redis_server.start()
    time.sleep(0.3)  # the cache's circuit breaker tries Redis again after its cool-down

    # the pool's broken connections are replaced: counting resumes, and a right password works
    assert APIClient().post("/api/v1/auth/login/", wrong).status_code == 401
    assert APIClient().post("/api/v1/auth/login/", wrong).status_code == 401
    refused = APIClient().post("/api/v1/auth/login/", wrong)
    assert refused.status_code == 429, refused.content
    other_client = APIClient(REMOTE_ADDR="203.0.113.9")
    signed_in = other_client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.content
