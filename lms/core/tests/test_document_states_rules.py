"""Rules the server applies that the document states (lms.core.schema), each found by the
fuzzer as a schema-valid request refused with a schema-level code (docs/operations.md,
"Fuzzing the API")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lms.accounts.tests.factories import UserFactory
from lms.community.errors import CommunityError
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db


def _component(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """The request body's schema (a requirement over several fields makes it `allOf`
    [the object, an `anyOf`])."""
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    return document["components"]["schemas"][name]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("ada@example.com", True),
        ("ada.l+lf@mail.example-host.org", True),
        ("ada@localhost", True),
        ("0@0.a", False),  # a one-letter top-level label: `format: email` alone allowed it
        ("ada@example.c0", False),
        ("a..b@example.com", False),
        ("ada@-example.com", False),
    ],
)
def test_an_email_is_documented_as_the_server_reads_it(document, anon_client, email, valid):
    # the document
    schema = _component(document, "/api/v1/auth/password-reset/", "post")["properties"]["email"]
    assert "format" not in schema  # `format: email` differs from the server both ways
    assert (re.search(schema["pattern"], email) is not None) is valid

    # when
    response = anon_client.post("/api/v1/auth/password-reset/", {"email": email}, format="json")

    # then the server agrees
    assert (response.status_code == 202) is valid, response.content
    if not valid:
        assert error_codes(response) == ["invalid"]


@pytest.mark.parametrize("email", ["  ada@example.com ", "ada@mün.de", '"ada..l"@example.com'])
def test_the_server_also_takes_emails_the_pattern_leaves_out(document, anon_client, email):
    # the pattern is a subset of what Django takes (trimmed, international, quoted)
    schema = _component(document, "/api/v1/auth/password-reset/", "post")["properties"]["email"]
    assert re.search(schema["pattern"], email) is None

    # when
    response = anon_client.post("/api/v1/auth/password-reset/", {"email": email}, format="json")

    # then
    assert response.status_code == 202


def test_either_a_token_or_an_email_and_code_is_documented_and_required(document, anon_client):
    # the document
    _, together = _component(document, "/api/v1/auth/verify-email/", "post")["allOf"]
    assert together["anyOf"] == [{"required": ["token"]}, {"required": ["email", "code"]}]

    # when neither is sent
    response = anon_client.post("/api/v1/auth/verify-email/", {}, format="json")

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["required"]


def test_a_fixed_coupon_names_its_currency_as_documented(document, instructor_client):
    # the document: `kind` is percent, or `currency` is given and not blank
    _, together = _component(document, "/api/v1/coupons/", "post")["allOf"]
    (branch,) = together["anyOf"]
    other_kinds, given = branch["anyOf"]
    (kind_schema,) = other_kinds["properties"].values()
    enum = document["components"]["schemas"][kind_schema["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert enum == ["percent"]
    assert given == {"required": ["currency"], "properties": {"currency": {"minLength": 1}}}

    # when
    body = {"code": "FIXED10", "kind": "fixed", "value": "10.00", "currency": ""}
    response = instructor_client.post("/api/v1/coupons/", body, format="json")

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["required"]


def test_a_delete_that_reads_a_body_documents_it(document, client_for):
    # the document: deleting your account takes your password, in a required body
    body = document["paths"]["/api/v1/auth/me/"]["delete"]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "password" in document["components"]["schemas"][schema]["required"]

    # when it is left out
    response = client_for(UserFactory()).delete("/api/v1/auth/me/")

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["required"]


def test_a_required_query_parameter_is_documented_as_not_empty(document, anon_client):
    # the document
    (token,) = document["paths"]["/api/v1/auth/me/export/download/"]["get"]["parameters"]
    assert token["required"] is True
    assert token["schema"]["minLength"] == 1

    # when it is sent empty
    response = anon_client.get("/api/v1/auth/me/export/download/?token=")

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["blank"]


def test_an_upload_is_documented_as_not_empty(document, student_client):
    # the document
    body = document["paths"]["/api/v1/auth/me/avatar/"]["post"]["requestBody"]["content"]
    name = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    avatar = document["components"]["schemas"][name]["properties"]["avatar"]
    assert avatar == {"type": "string", "format": "binary", "minLength": 1}

    # when an empty file is sent
    empty = SimpleUploadedFile("avatar.png", b"", content_type="image/png")
    response = student_client.post("/api/v1/auth/me/avatar/", {"avatar": empty}, format="multipart")

    # then it is refused as the document says (400 `empty`; a multipart part with no bytes
    # at all can also reach the view as no file: 400 `required`)
    assert response.status_code == 400
    assert error_codes(response) == ["empty"]


def test_a_login_403_without_a_setup_token_is_documented(document):
    # `email_not_verified` is a 403 of the error shape alone; `setup_token` comes with
    # `mfa_enrollment_required` only
    response = document["paths"]["/api/v1/auth/login/"]["post"]["responses"]["403"]
    name = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "setup_token" not in document["components"]["schemas"][name]["required"]


def _codes_listed(document: dict[str, Any]) -> dict[str, set[str]]:
    """Each code listed in a response's description, with the operations that list it."""
    listed: dict[str, set[str]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for response in operation.get("responses", {}).values():
                for code in re.findall(r"`([a-z][a-z0-9_]*)`", response.get("description", "")):
                    listed.setdefault(code, set()).add(f"{method.upper()} {path}")
    return listed


def test_every_community_rule_is_listed_on_an_operation_that_answers_it(document):
    # the fuzzer printed `discussion_locked`, `invalid_discussion_state`, `own_item`, ... as
    # "codes not listed on their operation": documented in docs/ only, so a typed client
    # had no word of them on the operation
    listed = _codes_listed(document)
    assert {code.value for code in CommunityError} - set(listed) == set()
    assert "POST /api/v1/discussions/{id}/replies/" in listed["discussion_locked"]
    assert "POST /api/v1/discussions/{id}/pin/" in listed["invalid_discussion_state"]
    assert "POST /api/v1/discussions/{id}/report/" in listed["own_item"]
    assert "POST /api/v1/replies/{id}/upvote/" in listed["own_item"]


@pytest.mark.parametrize(
    ("operation", "status", "code"),
    [
        # the period's rules, answered by every analytics read
        ("GET /api/v1/analytics/student/", "400", "range_too_long"),
        ("GET /api/v1/analytics/instructor/", "400", "invalid_range"),
        ("GET /api/v1/analytics/courses/{course}/", "400", "range_too_long"),
        ("GET /api/v1/analytics/platform/", "400", "out_of_range"),
    ],
)
def test_a_rule_is_listed_on_the_response_that_answers_it(document, operation, status, code):
    # each was printed by the fuzzer as a code not listed on its operation
    method, path = operation.split(" ")
    description = document["paths"][path][method.lower()]["responses"][status]["description"]
    assert f"`{code}`" in description


@pytest.mark.parametrize("path", ["/api/v1/courses/", "/api/v1/search/"])
def test_an_empty_course_status_is_no_filter_as_documented(
    document, anon_client, manager_client, path
):
    # the document: `status` is optional and may be sent empty (strict fuzz, seed 226045643:
    # `?status=` answered 400 `invalid_choice` to every identity)
    (status,) = (p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "status")
    assert status.get("required", False) is False
    assert status["allowEmptyValue"] is True

    # when sent empty, by anyone and by staff, it is no filter
    for client in (anon_client, manager_client):
        assert client.get(f"{path}?status=").status_code == 200

    # and a value that is no state is still refused
    response = manager_client.get(f"{path}?status=archived")
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_choice"]
