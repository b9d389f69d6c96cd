"""One whitespace rule for every string field, the same in the server and the document
(lms.core.serializers `trims`, lms.core.schema `_state_trimmed_minimum`; docs/api.md).

Free text is trimmed; its `max_length` holds for the string as sent and its minimum (not
blank) for the trimmed text, which the document states with a `pattern`. A string with a
pattern (a slug) is read exactly as sent."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from lms.catalog.models import Course
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

COURSES = "/api/v1/courses/"


@pytest.fixture(scope="module")
def course_input() -> dict[str, Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    body = document["paths"][COURSES]["post"]["requestBody"]["content"]["application/json"]
    name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    return document["components"]["schemas"][name]["properties"]  # type: ignore[no-any-return]


def _matches(schema: dict[str, Any], value: str) -> bool:
    """What JSON Schema says of a string: lengths on the string as sent, `pattern` searched."""
    if len(value) > schema.get("maxLength", len(value)):
        return False
    if len(value) < schema.get("minLength", 0):
        return False
    return re.search(schema.get("pattern", ""), value) is not None


@pytest.mark.parametrize(
    ("title", "stored"),
    [("  Rust basics \n", "Rust basics"), ("\u3000Go\u00a0", "Go"), ("x" * 200, "x" * 200)],
)
def test_free_text_is_trimmed_and_the_document_accepts_it(
    course_input, instructor_client, title, stored
):
    # the document says the title is valid
    assert _matches(course_input["title"], title)

    # when
    response = instructor_client.post(COURSES, {"title": title}, format="json")

    # then the server takes it, trimmed
    assert response.status_code == 201, response.json()
    assert response.json()["title"] == stored


@pytest.mark.parametrize(
    ("title", "code"),
    [("x" * 200 + " ", "max_length"), ("   ", "blank"), ("\t\n\u2003", "blank")],
)
def test_a_title_too_long_as_sent_or_blank_once_trimmed_is_refused_as_documented(
    course_input, instructor_client, title, code
):
    # the document says the title is invalid: over maxLength as sent, or no character that
    # is not whitespace
    assert not _matches(course_input["title"], title)

    # when
    response = instructor_client.post(COURSES, {"title": title}, format="json")

    # then
    assert response.status_code == 400
    assert error_codes(response) == [code]
    assert response.json()["errors"][0]["attr"] == "title"
    assert not Course.objects.exists()


def test_a_string_with_a_pattern_is_read_as_sent(course_input, instructor_client):
    # the slug's pattern decides about spaces; the document gains no whitespace pattern
    slug = course_input["slug"]
    assert slug["pattern"] == r"^[-a-zA-Z0-9_]+$"
    assert not _matches(slug, " rust-basics")

    # when
    response = instructor_client.post(
        COURSES, {"title": "Rust", "slug": " rust-basics"}, format="json"
    )

    # then it is not trimmed into a valid slug
    assert response.status_code == 400
    assert error_codes(response) == ["invalid"]
    assert response.json()["errors"][0]["attr"] == "slug"

    # and without the space it is taken
    response = instructor_client.post(
        COURSES, {"title": "Rust", "slug": "rust-basics"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "rust-basics"


def test_free_text_that_may_be_blank_takes_whitespace_as_blank(course_input, instructor_client):
    # the subtitle may be blank and has no minimum: any string up to its maxLength
    assert "pattern" not in course_input["subtitle"]
    assert _matches(course_input["subtitle"], "   ")

    # when
    response = instructor_client.post(COURSES, {"title": "Rust", "subtitle": "   "}, format="json")

    # then
    assert response.status_code == 201
    assert response.json()["subtitle"] == ""
