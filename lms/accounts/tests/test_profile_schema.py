"""The user's `profile` in the OpenAPI document: the instructor's shape or the student's (or
null), by role, and every answer carrying a user matches exactly one of them; the body
itself is the one the API has always sent (API.md's field names, in their order). The input
`profile` stays an open object whose description names each role's fields: the document
cannot say which role sends the body (see MeUpdateInputSerializer)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from lms.accounts.api.serializers import (
    InstructorProfileInputSerializer,
    StudentProfileInputSerializer,
)
from lms.accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    ManagerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
SCHEMAS = "#/components/schemas/"

# API.md, in the order the API sends them
STUDENT_FIELDS = ["bio", "language", "country", "timezone", "currency", "education"]
INSTRUCTOR_FIELDS = [
    "headline",
    "bio",
    "skills",
    "languages",
    "hourly_rate",
    "currency",
    "timezone",
    "payout_details",
]


def _component(document: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def _refs(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("$ref"), str):
            return [schema["$ref"].removeprefix(SCHEMAS)]
        return [ref for value in schema.values() for ref in _refs(value)]
    if isinstance(schema, list):
        return [ref for value in schema for ref in _refs(value)]
    return []


def _errors(document: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    validator = OAS30Validator(
        {**schema, "components": document["components"]},
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )
    return [error.message for error in validator.iter_errors(value)]


def _matches(document: dict[str, Any], component: str, value: Any) -> bool:
    return not _errors(document, {"$ref": SCHEMAS + component}, value)


# --- the document ---------------------------------------------------------------------------


def test_the_users_profile_is_one_of_the_two_shapes_or_null(document):
    # when
    profile = _component(document, "User")["properties"]["profile"]
    shapes = _component(document, "UserProfile")

    # then: typed, not an open object
    assert _refs(profile) == ["UserProfile"]
    assert profile.get("nullable") is True
    assert "additionalProperties" not in profile
    assert sorted(_refs(shapes["oneOf"])) == ["InstructorProfile", "StudentProfile"]


@pytest.mark.parametrize(
    ("component", "fields"),
    [("StudentProfile", STUDENT_FIELDS), ("InstructorProfile", INSTRUCTOR_FIELDS)],
)
def test_each_shape_lists_its_fields_every_one_always_sent(document, component, fields):
    # when
    schema = _component(document, component)

    # then
    assert list(schema["properties"]) == fields
    assert sorted(schema["required"]) == sorted(fields)


def test_the_shapes_are_typed(document):
    # when
    instructor = _component(document, "InstructorProfile")["properties"]

    # then: money as the API's decimal string, lists of strings, a map of strings
    assert instructor["hourly_rate"]["type"] == "string"
    assert instructor["hourly_rate"]["format"] == "decimal"
    assert instructor["skills"] == {"type": "array", "items": {"type": "string"}}
    assert instructor["languages"] == {"type": "array", "items": {"type": "string"}}
    assert instructor["payout_details"]["additionalProperties"] == {"type": "string"}


def test_the_input_profile_names_each_roles_fields(document):
    # when
    profile = _component(document, "PatchedMeUpdateInputRequest")["properties"]["profile"]

    # then: an open object (which fields are read is the caller's role's) that lists them
    assert profile["type"] == "object"
    assert "properties" not in profile
    instructor, student = profile["description"].split("; anyone else's: ")
    for name in InstructorProfileInputSerializer.Meta.fields:
        assert f"`{name}`" in instructor
    for name in StudentProfileInputSerializer.Meta.fields:
        assert f"`{name}`" in student


# --- the answers ----------------------------------------------------------------------------


def _student() -> Any:
    user = UserFactory()
    profile = user.student_profile
    profile.bio, profile.language, profile.country = "Loves maths", "en", "GB"
    profile.timezone, profile.currency, profile.education = "Europe/London", "GBP", "BSc"
    profile.save()
    return user


def _instructor() -> Any:
    user = InstructorFactory()
    profile = user.instructor_profile
    profile.headline, profile.bio = "Rust and systems", "Twenty years of C"
    profile.skills, profile.languages = ["rust", "c"], ["en", "fr"]
    profile.hourly_rate, profile.currency = Decimal("40.5"), "EUR"
    profile.timezone, profile.payout_details = "Europe/Paris", {"email": "pay@example.com"}
    profile.save()
    return user


def _instructor_without_profile() -> Any:
    user = InstructorFactory()
    user.instructor_profile.delete()
    return user


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (_student, "StudentProfile"),
        (_instructor, "InstructorProfile"),
        (ManagerFactory, "StudentProfile"),
        (AdminFactory, "StudentProfile"),
        (_instructor_without_profile, None),
    ],
)
def test_each_role_answers_the_documented_profile(document, client_for, make, shape):
    # given
    user = make()

    # when
    profile = client_for(user).get(ME).json()["profile"]

    # then: one of the shapes, and one only (or null, which the document allows)
    if shape is None:
        assert profile is None
        return
    other = {"StudentProfile": "InstructorProfile", "InstructorProfile": "StudentProfile"}[shape]
    assert _errors(document, {"$ref": SCHEMAS + "UserProfile"}, profile) == []
    assert _matches(document, shape, profile)
    assert not _matches(document, other, profile)


def test_the_student_profile_body_is_unchanged(client_for):
    # given
    user = _student()

    # when
    profile = client_for(user).get(ME).json()["profile"]

    # then: the names, their order and the values as before the shapes were typed
    assert list(profile.items()) == [
        ("bio", "Loves maths"),
        ("language", "en"),
        ("country", "GB"),
        ("timezone", "Europe/London"),
        ("currency", "GBP"),
        ("education", "BSc"),
    ]


@pytest.mark.parametrize(
    ("rate", "currency", "shown"),
    [("40.5", "EUR", "40.50"), ("5000", "JPY", "5000"), ("12.345", "KWD", "12.345")],
)
def test_the_instructor_profile_body_is_unchanged(client_for, rate, currency, shown):
    # given
    user = _instructor()
    user.instructor_profile.hourly_rate = Decimal(rate)
    user.instructor_profile.currency = currency
    user.instructor_profile.save()

    # when
    profile = client_for(user).get(ME).json()["profile"]

    # then: the rate is the currency's decimal string, as every amount the API sends
    assert list(profile.items()) == [
        ("headline", "Rust and systems"),
        ("bio", "Twenty years of C"),
        ("skills", ["rust", "c"]),
        ("languages", ["en", "fr"]),
        ("hourly_rate", shown),
        ("currency", currency),
        ("timezone", "Europe/Paris"),
        ("payout_details", {"email": "pay@example.com"}),
    ]


def test_an_update_and_a_login_answer_the_same_profile(document, client_for, log_in):
    # given
    user = _instructor()
    client = client_for(user)
    before = client.get(ME).json()["profile"]

    # when
    patched = client.patch(ME, {"profile": {"hourly_rate": "40.50"}}, format="json")
    logged_in = log_in(user)

    # then
    assert patched.status_code == 200, patched.json()
    assert patched.json()["profile"] == before
    assert logged_in["user"]["profile"] == before
    assert _matches(document, "InstructorProfile", logged_in["user"]["profile"])


def test_keys_the_role_does_not_have_are_ignored_as_the_description_says(client_for):
    # given
    user = _instructor()

    # when
    response = client_for(user).patch(
        ME, {"profile": {"education": "PhD", "nickname": "Ferris", "headline": "C"}}, format="json"
    )

    # then
    assert response.status_code == 200, response.json()
    profile = response.json()["profile"]
    assert profile["headline"] == "C"
    assert "education" not in profile
    assert "nickname" not in profile
