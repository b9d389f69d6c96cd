"""Hostile query strings and bodies: a 4xx in the error shape, never a 500.

Django-level request exceptions (too big, too many fields or files, suspicious, unreadable),
JSON nested past any sane depth and NUL characters in query parameters and body strings.
The NUL tests matter on PostgreSQL, which refuses NUL in text; they run on both databases.
"""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver
from django.urls.resolvers import RoutePattern
from PIL import Image

from lms.conftest import error_codes
from lms.core.exception_handler import request_exception_as_error
from lms.core.parsers import MAX_JSON_DEPTH

LOGIN = "/api/v1/auth/login/"
CART_ITEMS = "/api/v1/cart/items/"
AVATAR = "/api/v1/auth/me/avatar/"
MEDIA = "/api/v1/media/"


@pytest.fixture
def png_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("slide.png", buffer.getvalue())


def _nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def _list_routes() -> list[str]:
    """Every GET route of the API without a path parameter."""
    urls = []
    for entry in get_resolver().url_patterns:
        if not isinstance(entry.pattern, RoutePattern) or not str(entry.pattern).startswith("api/"):
            continue
        stack = [(str(entry.pattern), entry)]
        while stack:
            prefix, node = stack.pop()
            if hasattr(node, "url_patterns"):
                stack.extend((prefix + str(child.pattern), child) for child in node.url_patterns)
            elif "<" not in prefix and prefix != str(entry.pattern):
                view_class = getattr(node.callback, "view_class", None)
                if view_class is not None and hasattr(view_class, "get"):
                    urls.append("/" + prefix)
    return sorted(set(urls))


# --- Django's request exceptions ------------------------------------------------------------


def test_a_json_body_over_the_memory_limit_is_413(student_client, anon_client):
    # given a JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE (and under MAX_REQUEST_BODY_BYTES)
    body = json.dumps({"email": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "password": "p"})
    assert len(body) < settings.MAX_REQUEST_BODY_BYTES

    # when sent anonymously (the login throttle reads the body) and authenticated
    responses = [
        anon_client.post(LOGIN, body, content_type="application/json"),
        student_client.post(CART_ITEMS, body, content_type="application/json"),
    ]

    # then
    for response in responses:
        assert response.status_code == 413
        assert error_codes(response) == ["request_too_large"]


def test_too_many_form_fields_is_400(anon_client):
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = anon_client.post(LOGIN, fields, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert error_codes(response) == ["too_many_fields"]


def test_too_many_query_parameters_is_400_outside_any_view(anon_client, db):
    query = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = anon_client.get(f"/api/v1/courses/?{query}")

    assert response.status_code == 400
    assert error_codes(response) == ["too_many_fields"]


def test_too_many_files_is_400(student_client):
    files = {
        f"file{i}": SimpleUploadedFile(f"{i}.txt", b"x")
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    }

    response = student_client.post(AVATAR, files, format="multipart")

    assert response.status_code == 400
    assert error_codes(response) == ["too_many_files"]


def test_a_forged_host_is_400_in_the_error_shape(anon_client, db):
    response = anon_client.get("/api/v1/courses/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert error_codes(response) == ["bad_request"]


def test_any_suspicious_operation_maps_to_400():
    error = request_exception_as_error(SuspiciousFileOperation("../../etc/passwd"))

    assert error is not None
    assert (error.status_code, error.code) == (400, "bad_request")


class _BrokenStream(io.RawIOBase):
    """A client that hangs up in the middle of its body."""

    def read(self, size: int = -1) -> bytes:
        raise OSError("connection reset by peer")

    def readline(self, size: int | None = -1) -> bytes:
        raise OSError("connection reset by peer")


def test_an_unreadable_body_is_400(student_client):
    response = student_client.post(
        CART_ITEMS,
        content_type="application/json",
        CONTENT_LENGTH="100",
        **{"wsgi.input": _BrokenStream()},
    )

    assert response.status_code == 400
    assert error_codes(response) == ["unreadable_body"]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 2, 1000, 100_000])
def test_deeply_nested_json_is_400(student_client, depth):
    response = student_client.post(CART_ITEMS, _nested_json(depth), content_type="application/json")

    assert response.status_code == 400
    assert error_codes(response) == ["parse_error"]


def test_json_nested_within_the_limit_still_parses(student_client):
    # the depth limit does not refuse a body that merely has nested values
    response = student_client.post(
        CART_ITEMS, json.dumps({"course_id": [[["x"]]]}), content_type="application/json"
    )

    assert response.status_code == 400
    assert "parse_error" not in error_codes(response)


# --- NUL characters -------------------------------------------------------------------------


@pytest.mark.parametrize("url", _list_routes())
def test_a_nul_in_any_query_parameter_is_400(admin_client_api, url):
    # given every list of the API, as staff; the parameter name is one no view reads
    for query in ("unknown=a%00b", "search=a%00b", "unknown%00=1"):
        # when
        response = admin_client_api.get(f"{url}?{query}")

        # then
        assert response.status_code == 400, (url, query, response.status_code)
        assert error_codes(response) == ["null_characters_not_allowed"]


@pytest.mark.parametrize(
    "body",
    [
        {"course_id": "a\x00b"},
        {"course_id": "00000000-0000-4000-8000-000000000000", "note": {"deep": ["x\x00"]}},
        {"course_id\x00": "x"},
        ["a\x00b"],
    ],
    ids=["value", "nested-value", "key", "array"],
)
def test_a_nul_in_any_json_string_is_400(student_client, body):
    response = student_client.post(CART_ITEMS, body, format="json")

    assert response.status_code == 400
    assert error_codes(response) == ["null_characters_not_allowed"]


def test_a_nul_in_a_form_field_is_400(anon_client, db):
    response = anon_client.post(
        LOGIN,
        "email=a%00b%40example.com&password=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert error_codes(response) == ["null_characters_not_allowed"]


def test_a_nul_in_a_multipart_field_is_400(instructor_client, png_upload):
    # a view with its own parser_classes gets the same refusal
    response = instructor_client.post(
        MEDIA, {"file": png_upload, "title": "a\x00b"}, format="multipart"
    )

    assert response.status_code == 400
    assert error_codes(response) == ["null_characters_not_allowed"]
