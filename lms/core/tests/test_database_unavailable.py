"""A lost database connection is a 503 `database_unavailable` with `Retry-After`, never a 500.

Django wraps the driver's connection failures in `django.db.OperationalError` (server down
or restarting, connection killed) and the use of a closed connection in `InterfaceError`.
The statement is made to fail where it runs (the cursor), so every layer above it is the
real one: inside a DRF view the exception handler answers; raised by a plain Django view
(the admin's login page) `handler500` answers. A fault that is the code's (an integrity
error) stays a 500. lms/core/tests/test_postgres_restart.py shows the same with a real
PostgreSQL restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from lms.catalog.tests.factories import PublishedCourseFactory

pytestmark = pytest.mark.django_db


@contextmanager
def statements_fail(error: Exception) -> Iterator[None]:
    def execute(self: CursorWrapper, sql: str, params: Any = None) -> Any:
        raise error

    with (
        mock.patch.object(CursorWrapper, "execute", execute),
        mock.patch.object(CursorWrapper, "executemany", execute),
    ):
        yield


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def _assert_database_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["type"] == "server_error"
    assert [error["code"] for error in body["errors"]] == ["database_unavailable"]
    assert b"Traceback" not in response.content


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        OperationalError('connection to server at "127.0.0.1", port 5432 failed'),
        InterfaceError("connection already closed"),
    ],
    ids=["closed", "refused", "interface"],
)
def test_a_drf_view_answers_503_when_the_database_is_lost(client: Client, error: Exception) -> None:
    PublishedCourseFactory()
    with statements_fail(error):
        response = client.get("/api/v1/courses/?level=beginner&page_size=7")

    _assert_database_unavailable(response)


def test_a_plain_django_view_answers_503_through_handler500(client: Client) -> None:
    with statements_fail(OperationalError("terminating connection due to administrator command")):
        response = client.post(
            "/admin/login/", {"username": "someone@example.com", "password": "not-this"}
        )

    _assert_database_unavailable(response)


def test_a_fault_of_the_code_stays_a_500(client: Client) -> None:
    with statements_fail(IntegrityError("duplicate key value violates unique constraint")):
        response = client.get("/api/v1/courses/?level=beginner&page_size=7")

    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "error"
    assert "Retry-After" not in response
