"""Races on one refresh token: logout and refresh at the same moment have one winner."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from lms.accounts.tests.factories import UserFactory
from lms.accounts.tests.helpers import bearer

REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"
TRIALS = 12


def _race_logout_against_refresh(pair: dict[str, str]) -> dict[str, int]:
    """POST /auth/logout/ {R} and POST /auth/refresh/ {R} released by one barrier."""
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}
    errors: list[BaseException] = []

    def send(name: str, path: str, extra: dict[str, str]) -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=10)
            statuses[name] = client.post(path, {"refresh": pair["refresh"]}, **extra).status_code
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=("logout", LOGOUT, bearer(pair["access"]))),
        threading.Thread(target=send, args=("refresh", REFRESH, {})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return statuses


@pytest.mark.django_db(transaction=True)
def test_logout_racing_refresh_has_exactly_one_winner():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    # given
    from lms.accounts.tokens import issue_token_pair

    user = UserFactory(email=f"race-{uuid.uuid4().hex[:8]}@example.com")

    # when: twelve trials, each with a fresh pair
    outcomes = [_race_logout_against_refresh(issue_token_pair(user)) for _ in range(TRIALS)]

    # then: either the logout wins (204, the refresh is refused) or the refresh does (200, the
    # logout is refused); never both
    for outcome in outcomes:
        assert outcome in ({"logout": 204, "refresh": 401}, {"logout": 401, "refresh": 200}), (
            outcomes
        )
