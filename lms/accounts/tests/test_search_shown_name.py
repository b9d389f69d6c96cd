"""People are found by the name the API shows them under (lms.accounts.names): the public
instructor list and the staff's user list, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lms.accounts.tests.factories import InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("search", "found"),
    [("Ada Lovelace", True), ("ada lov", True), ("Lovelace", True), ("Grace", False)],
)
def test_the_instructor_list_finds_the_name_as_shown(search, found):
    InstructorFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")

    response = APIClient().get("/api/v1/instructors/", {"search": search})

    assert response.status_code == 200
    assert (response.json()["count"] == 1) is found


def test_a_nameless_instructor_is_found_by_the_name_shown_for_them():
    InstructorFactory(first_name="", last_name="", email="zebulonx@example.com")

    response = APIClient().get("/api/v1/instructors/", {"search": "zebulonx"})

    assert response.json()["count"] == 1


def test_staff_find_a_user_by_full_name_or_address(admin_client_api):
    UserFactory(first_name="Ada", last_name="Lovelace", email="countess@example.com")

    by_name = admin_client_api.get("/api/v1/users/", {"search": "Ada Lovelace"})
    by_address = admin_client_api.get("/api/v1/users/", {"search": "countess@"})

    assert [row["email"] for row in by_name.json()["results"]] == ["countess@example.com"]
    assert [row["email"] for row in by_address.json()["results"]] == ["countess@example.com"]
