"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from lms.accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    ManagerFactory,
    UserFactory,
)
from lms.accounts.tokens import issue_token_pair
from lms.core.testing import clear_cache


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    clear_cache()


@pytest.fixture(autouse=True)
def _audit_chain_intact(request: pytest.FixtureRequest) -> Iterator[None]:
    """The audit log's invariant, checked after every test that used the database: every
    line it wrote seals into one chain that verifies (lms.audit.chain)."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )
    if not uses_db or request.node.get_closest_marker("tampers_audit_chain"):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so torn down after this check
    yield
    from django.db import connection

    from lms.audit import chain

    if connection.needs_rollback or connection.connection is None:
        return  # the test left its transaction broken or closed; it failed on its own
    chain.seal_pending()
    report = chain.verify()
    assert report.ok, f"audit chain broken at {report.broken_at}: {report.reason}"


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The OpenAPI document drf-spectacular builds (the one `/api/schema/` serves), once per
    test module: what the contract, parity and documented-codes tests compare answers with."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """`client_for(user)`: an API client sending that user's access token."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        access = issue_token_pair(user)["access"]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    return make


@pytest.fixture
def student(db: None) -> Any:
    return UserFactory()


@pytest.fixture
def other_student(db: None) -> Any:
    return UserFactory()


@pytest.fixture
def instructor(db: None) -> Any:
    return InstructorFactory()


@pytest.fixture
def manager(db: None) -> Any:
    return ManagerFactory()


@pytest.fixture
def admin_user(db: None) -> Any:
    return AdminFactory()


@pytest.fixture
def student_client(client_for: Callable[[Any], APIClient], student: Any) -> APIClient:
    return client_for(student)


@pytest.fixture
def instructor_client(client_for: Callable[[Any], APIClient], instructor: Any) -> APIClient:
    return client_for(instructor)


@pytest.fixture
def manager_client(client_for: Callable[[Any], APIClient], manager: Any) -> APIClient:
    return client_for(manager)


@pytest.fixture
def admin_client_api(client_for: Callable[[Any], APIClient], admin_user: Any) -> APIClient:
    return client_for(admin_user)


def error_codes(response: Any) -> list[str]:
    """The `code` of every error in a response of the standard error shape."""
    return [error["code"] for error in response.json()["errors"]]
