"""PostgreSQL races of the second round: two exports asked at once (one starts, the other
409), one recovery code used by two logins at once (one wins), one TOTP code replayed at
the same moment (one wins)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from lms.accounts import two_factor
from lms.accounts.models import PersonalDataExport, TwoFactorDevice
from lms.accounts.tests.factories import PASSWORD, UserFactory
from lms.accounts.tokens import issue_token_pair
from lms.core.testing import clear_cache

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TRIALS = 8


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")


def _race(*calls: Callable[[], int]) -> list[int]:
    """Run the calls at one barrier, each in its own thread and connection; their statuses."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], int]) -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(call())
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return sorted(statuses)


def _user() -> Any:
    clear_cache()  # each trial within the per-IP auth limit
    return UserFactory(email=f"race-{uuid.uuid4().hex[:10]}@example.com")


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


def test_two_exports_asked_at_once_one_starts(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False  # keep both pending: no broker call is made
    from lms.accounts import tasks

    delay = tasks.build_personal_data_export.delay
    tasks.build_personal_data_export.delay = lambda *args, **kwargs: None  # type: ignore[method-assign]
    try:
        for _ in range(TRIALS):
            user = _user()
            first, second = _client(user), _client(user)
            statuses = _race(
                lambda first=first: first.post("/api/v1/auth/me/export/").status_code,
                lambda second=second: second.post("/api/v1/auth/me/export/").status_code,
            )
            assert statuses == [202, 409]
            assert PersonalDataExport.objects.filter(user=user).count() == 1
    finally:
        tasks.build_personal_data_export.delay = delay  # type: ignore[method-assign]


def _enabled(user: Any) -> tuple[pyotp.TOTP, list[str]]:
    setup = two_factor.begin_setup(user=user)
    totp = pyotp.TOTP(setup.secret)
    codes = two_factor.confirm(user=user, code=totp.now()).recovery_codes
    # forget the confirming step, so the current code is usable again for the race
    TwoFactorDevice.objects.filter(user=user).update(last_used_step=0)
    return totp, codes


def _challenge(user: Any) -> str:
    response = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": PASSWORD})
    return str(response.json()["challenge"])


def _second_step(challenge: str, code: str) -> Callable[[], int]:
    def call() -> int:
        response = APIClient().post(
            "/api/v1/auth/login/2fa/", {"challenge": challenge, "code": code}
        )
        return response.status_code

    return call


def test_one_recovery_code_used_by_two_logins_at_once_one_wins() -> None:
    for _ in range(TRIALS):
        user = _user()
        _, codes = _enabled(user)
        statuses = _race(
            _second_step(_challenge(user), codes[0]), _second_step(_challenge(user), codes[0])
        )
        assert statuses == [200, 400]


def test_one_totp_code_replayed_at_the_same_moment_one_wins() -> None:
    for _ in range(TRIALS):
        user = _user()
        totp, _ = _enabled(user)
        code = totp.at(timezone.now())
        statuses = _race(_second_step(_challenge(user), code), _second_step(_challenge(user), code))
        assert statuses == [200, 400]


def test_one_challenge_used_twice_at_once_one_wins() -> None:
    for _ in range(TRIALS):
        user = _user()
        _, codes = _enabled(user)
        challenge = _challenge(user)
        statuses = _race(_second_step(challenge, codes[0]), _second_step(challenge, codes[1]))
        assert statuses == [200, 400]


def test_the_last_two_admins_deleting_at_once_one_stays(settings: Any) -> None:
    """Red team: two admins delete their accounts at the same moment; without the admins'
    rows locked in key order both would pass the last-admin check and leave none."""
    from lms.accounts.models import Role, User
    from lms.accounts.tests.factories import AdminFactory

    settings.REQUIRE_STAFF_MFA = False
    for _ in range(TRIALS):
        User.objects.filter(role=Role.ADMIN).update(is_active=False)
        clear_cache()
        admins = [AdminFactory(email=f"admin-{uuid.uuid4().hex[:10]}@example.com") for _ in "ab"]

        def leave(admin: Any) -> Callable[[], int]:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(admin)['access']}")
            return lambda: (
                client.delete("/api/v1/auth/me/", {"password": PASSWORD}, format="json").status_code
            )

        assert _race(*(leave(admin) for admin in admins)) == [204, 409]
        assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 1
