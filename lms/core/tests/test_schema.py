"""The OpenAPI document: generated without a warning, and saying what the server does
(lms.core.schema; issue 11, section 1)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from lms.conftest import error_codes

pytestmark = pytest.mark.django_db


def _schema_of(document: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    response = document["paths"][path][method]["responses"][status]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]  # type: ignore[no-any-return]
    return schema


def test_the_document_generates_and_validates_without_a_warning(tmp_path):
    # when drf-spectacular generates the document as `make schema` and /api/schema/ do,
    # failing on any warning or error (an unresolvable field, a clashing component name...)
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")

    # then it is written and is an OpenAPI 3 document
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/courses/", "/api/v1/categories/", "/api/v1/orders/", "/api/v1/wishlist/"],
)
def test_a_list_is_documented_as_the_page_object(document, path):
    # when
    page = _schema_of(document, path, "get", "200")

    # then
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["type"] == "array"
    parameters = {parameter["name"] for parameter in document["paths"][path]["get"]["parameters"]}
    assert {"page", "page_size"} <= parameters


def test_a_list_answered_whole_stays_an_array(document):
    # when
    sections = _schema_of(document, "/api/v1/courses/{course}/sections/", "get", "200")

    # then
    assert sections["type"] == "array"


def test_every_client_error_is_one_shape_with_a_string_code(document):
    # when
    forbidden = _schema_of(document, "/api/v1/categories/", "post", "403")
    bad = document["components"]["schemas"]["ErrorResponse400"]

    # then any domain code fits (the codes are listed in the descriptions)
    error = document["components"]["schemas"]["ClientError"]
    assert forbidden["properties"]["type"]["$ref"].endswith("/ClientErrorEnum")
    assert error["properties"]["code"]["type"] == "string"
    assert error["properties"]["attr"]["nullable"] is True
    # and a 400 is either kind, told apart by `type`
    assert set(bad["discriminator"]["mapping"]) == {"validation_error", "client_error"}


def test_every_body_can_be_refused_as_too_large_and_every_token_as_invalid(document):
    # when
    operation = document["paths"]["/api/v1/courses/"]["post"]

    # then
    assert {"400", "401", "403", "413", "415", "429"} <= set(operation["responses"])


def test_a_create_links_to_the_operations_that_use_its_id(document):
    # when
    links = document["paths"]["/api/v1/courses/"]["post"]["responses"]["201"]["links"]

    # then read, update and delete follow the created course by its id
    targets = {link["operationId"]: link["parameters"] for link in links.values()}
    for operation_id in ("v1_courses_retrieve", "v1_courses_partial_update", "v1_courses_destroy"):
        assert targets[operation_id] == {"course": "$response.body#/id"}


def test_a_resource_created_under_its_parent_links_to_its_own_path(document):
    # when
    links = document["paths"]["/api/v1/courses/{course}/sections/"]["post"]["responses"]["201"][
        "links"
    ]

    # then
    targets = {link["operationId"] for link in links.values()}
    assert {"v1_sections_partial_update", "v1_sections_destroy"} <= targets


@pytest.mark.parametrize(
    ("create", "expected"),
    [
        # an enrollment is read as EnrollmentDetail, but its actions answer Enrollment
        (
            "/api/v1/courses/{course}/enroll/",
            {"v1_enrollments_retrieve", "v1_enrollments_mark_lesson_complete_create"},
        ),
        # a reply is never read alone: its actions name its path
        (
            "/api/v1/discussions/{id}/replies/",
            {"v1_replies_upvote_create", "v1_replies_upvote_destroy", "v1_replies_report_create"},
        ),
    ],
)
def test_a_create_links_to_the_actions_on_what_it_created(document, create, expected):
    links = document["paths"][create]["post"]["responses"]["201"]["links"]

    targets = {link["operationId"]: link["parameters"] for link in links.values()}
    assert expected <= set(targets)
    for operation_id in expected:
        assert list(targets[operation_id].values()) == ["$response.body#/id"]


def test_the_media_stream_is_documented(document):
    # when
    stream = document["paths"]["/api/v1/media/stream/{token}/"]["get"]

    # then
    assert {"200", "206", "403", "416"} <= set(stream["responses"])


def test_currencies_are_the_supported_list_and_amounts_never_negative(document, settings):
    # when
    course = document["components"]["schemas"]["CourseInputRequest"]["properties"]

    # then
    currency = course["currency"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert document["components"]["schemas"][currency]["enum"] == list(
        settings.SUPPORTED_CURRENCIES
    )
    assert not re.fullmatch(course["price"]["pattern"], "-1.00")
    assert re.fullmatch(course["price"]["pattern"], "49.99")


@pytest.mark.parametrize("price", [49, "-1.00", "1e3", " 5", "5\n", "٣"])
def test_an_amount_that_is_not_a_plain_decimal_string_is_refused(instructor_client, price):
    # when (API.md: money is a decimal string, never a JSON number)
    response = instructor_client.post(
        "/api/v1/courses/", {"title": "Money", "price": price, "currency": "USD"}, format="json"
    )

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_amount"]


def test_an_unsafe_method_on_the_media_stream_is_405_as_documented():
    # given a browser-like client that enforces CSRF
    client = Client(enforce_csrf_checks=True)

    # when
    response = client.post("/api/v1/media/stream/not-a-token/")

    # then the documented 405 with its Allow header, not the CSRF middleware's 403 page
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert error_codes(response) == ["method_not_allowed"]


@pytest.mark.parametrize(
    ("query", "status"),
    [("page_size=0", 400), ("page_size=abc", 400), ("page_size=", 200), ("page=", 200)],
)
def test_page_and_page_size_are_refused_or_read_as_documented(anon_client, query, status):
    # when
    response = anon_client.get(f"/api/v1/categories/?{query}")

    # then a bad page_size is 400 (DRF would ignore it), an empty one is as if absent
    assert response.status_code == status
    if status == 400:
        assert error_codes(response) == ["invalid"]


# --- the fuzzer's last findings: the document and the server agree (issue 11 §1) ---------------


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    parameters = document["paths"][path]["get"]["parameters"]
    return next(parameter for parameter in parameters if parameter["name"] == name)


def test_an_empty_optional_query_parameter_is_documented_and_read_as_no_filter(
    document, instructor, client_for
):
    # given a course with a student's quiz attempt (a view validating its query with a
    # serializer, where DRF reads an empty optional value as not sent)
    from lms.assessments.tests.factories import quiz_in
    from lms.catalog.tests.factories import PublishedCourseFactory

    course = PublishedCourseFactory(instructor=instructor)
    quiz_in(course)
    url = f"/api/v1/courses/{course.pk}/quiz-attempts/"

    # when
    empty = client_for(instructor).get(f"{url}?student=&quiz=")
    absent = client_for(instructor).get(url)
    bad = client_for(instructor).get(f"{url}?student=nobody")

    # then the document allows the empty value and the server reads it as no filter
    path = "/api/v1/courses/{course}/quiz-attempts/"
    assert _parameter(document, path, "student")["allowEmptyValue"] is True
    assert empty.status_code == 200
    assert empty.json() == absent.json()
    assert bad.status_code == 400


def test_an_empty_multiple_choice_filter_is_no_filter(document, student, client_for):
    # given two tickets of the student, one closed
    from lms.support.models import TicketStatus
    from lms.support.tests.factories import TicketFactory

    TicketFactory(owner=student)
    TicketFactory(owner=student, status=TicketStatus.CLOSED, closed_at=timezone.now())
    client = client_for(student)

    # when
    every = client.get("/api/v1/support/tickets/?status=&priority=")
    closed = client.get("/api/v1/support/tickets/?status=closed&status=")

    # then
    assert _parameter(document, "/api/v1/support/tickets/", "status")["allowEmptyValue"] is True
    assert every.status_code == 200
    assert every.json()["count"] == 2
    assert [ticket["status"] for ticket in closed.json()["results"]] == ["closed"]


@pytest.mark.parametrize(("country", "status"), [("us", 200), ("US\n", 400), (" US", 400)])
def test_a_country_filter_is_exactly_the_documented_pattern(document, anon_client, country, status):
    # when
    response = anon_client.get("/api/v1/universities/", {"country": country})

    # then the document's ECMA pattern decides, as the server does (no trailing newline, no
    # trimming)
    pattern = _parameter(document, "/api/v1/universities/", "country")["schema"]["pattern"]
    assert pattern == "^[A-Za-z]{2}$"
    assert bool(re.fullmatch(pattern[1:-1], country)) == (status == 200)
    assert response.status_code == status


def test_a_review_rating_is_documented_from_1_to_5_as_the_server_reads_it(
    document, instructor, client_for
):
    # given a student enrolled in a published course
    from lms.accounts.tests.factories import UserFactory
    from lms.catalog.tests.factories import PublishedCourseFactory
    from lms.learning.tests.factories import EnrollmentFactory

    course = PublishedCourseFactory(instructor=instructor)
    student = UserFactory()
    EnrollmentFactory(student=student, course=course)
    url = f"/api/v1/courses/{course.pk}/reviews/"
    client = client_for(student)

    # when
    zero = client.post(url, {"rating": 0}, format="json")
    digits = client.post(url, {"rating": "4"}, format="json")
    four = client.post(url, {"rating": 4}, format="json")
    listed = client.get(url, {"rating": "4"})
    listed_zero = client.get(url, {"rating": "0"})

    # then
    rating = document["components"]["schemas"]["ReviewInputRequest"]["properties"]["rating"]
    assert (rating["type"], rating["minimum"], rating["maximum"]) == ("integer", 1, 5)
    query = _parameter(document, "/api/v1/courses/{course}/reviews/", "rating")["schema"]
    assert (query["minimum"], query["maximum"]) == (1, 5)
    assert (zero.status_code, error_codes(zero)) == (400, ["min_value"])
    assert (digits.status_code, error_codes(digits)) == (400, ["invalid"])
    assert four.status_code == 201, four.content
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert listed_zero.status_code == 400


def test_fields_for_admins_only_are_documented_as_optional(
    document, instructor, client_for, admin_user
):
    # given a withdrawal
    from lms.payouts.tests.factories import earn, request_withdrawal

    earn(instructor, "100.00")
    request_withdrawal(instructor)

    # when
    own = client_for(instructor).get("/api/v1/withdrawals/").json()["results"][0]
    staff = client_for(admin_user).get("/api/v1/withdrawals/").json()["results"][0]

    # then the instructor's has no admin fields, the admin's has them, and the document
    # requires every other field and none of those
    admin_only = {"transfer_status", "attempts", "last_error"}
    withdrawal = document["components"]["schemas"]["Withdrawal"]
    assert admin_only <= set(withdrawal["properties"])
    assert set(withdrawal["required"]) == set(withdrawal["properties"]) - admin_only
    assert set(own) == set(withdrawal["properties"]) - admin_only
    assert set(staff) == set(withdrawal["properties"])


@pytest.mark.parametrize(
    ("method", "path", "redis"),
    [
        ("post", "/api/v1/auth/login/", True),
        ("post", "/api/v1/auth/register/", True),
        ("post", "/api/v1/auth/password-reset/", True),
        ("post", "/api/v1/auth/2fa/confirm/", True),
        ("delete", "/api/v1/auth/me/", True),
        ("get", "/api/v1/courses/", False),
        ("post", "/api/v1/auth/refresh/", False),
    ],
)
def test_503_is_documented_with_the_codes_of_what_can_be_down(document, method, path, redis):
    # then (issue 16, item 8): any operation if the database does not answer; the limits on
    # guessing too while Redis is down, while reads and token checks never depend on it
    responses = document["paths"][path][method]["responses"]
    examples = responses["503"]["content"]["application/json"]["examples"].values()
    codes = {example["summary"] for example in examples}
    expected = (
        {"database_unavailable", "service_unavailable"} if redis else {"database_unavailable"}
    )
    assert codes == expected
    without = [
        (name, path)
        for path, operations in document["paths"].items()
        for name, operation in operations.items()
        if name in ("get", "post", "put", "patch", "delete") and "503" not in operation["responses"]
    ]
    assert without == []


def test_a_login_while_redis_is_down_answers_the_documented_503(document, anon_client, monkeypatch):
    # given a cache that does not answer
    monkeypatch.setattr("lms.accounts.throttles.counters_writable", lambda: False)

    # when
    response = anon_client.post(
        "/api/v1/auth/login/", {"email": "a@example.com", "password": "x"}, format="json"
    )

    # then the status, the code and the shape are the document's
    assert response.status_code == 503
    assert error_codes(response) == ["service_unavailable"]
    shape = _schema_of(document, "/api/v1/auth/login/", "post", "503")
    kind = shape["properties"]["type"]["$ref"].rsplit("/", 1)[-1]
    assert document["components"]["schemas"][kind]["enum"] == ["server_error"]
    assert response.json()["type"] == "server_error"


def test_a_deleted_coupon_staying_readable_is_documented_and_the_only_use_after_free_exception(
    document,
):
    # (the server's side: lms/commerce/tests/test_api_coupons.py, test_deactivate_coupon)
    import tomllib
    from pathlib import Path

    from django.conf import settings

    delete = document["paths"]["/api/v1/coupons/{coupon_id}/"]["delete"]
    assert "is_active: false" in delete["description"]
    config = tomllib.loads((Path(settings.BASE_DIR) / "schemathesis.toml").read_text())
    silenced = [
        entry["include-name"]
        for entry in config["operations"]
        if entry.get("checks", {}).get("use_after_free", {}).get("enabled") is False
    ]
    assert silenced == [["DELETE /api/v1/coupons/{coupon_id}/", "GET /api/v1/coupons/{coupon_id}/"]]


def test_an_undocumented_method_is_401_before_signing_in_and_405_after(
    document, anon_client, student_client
):
    # (docs/api.md, "Methods": DRF authenticates before it dispatches the method, so an
    # operation that needs a token says nothing about its methods to an anonymous caller)
    path = "/api/v1/auth/2fa/setup/"
    assert set(document["paths"][path]) == {"post"}
    assert "401" in document["paths"][path]["post"]["responses"]

    anonymous = anon_client.generic("TRACE", path)
    signed_in = student_client.generic("TRACE", path)

    assert (anonymous.status_code, error_codes(anonymous)) == (401, ["not_authenticated"])
    assert (signed_in.status_code, error_codes(signed_in)) == (405, ["method_not_allowed"])
    assert signed_in["Allow"] == "POST, OPTIONS"


def test_a_comment_edit_needs_its_body_as_documented(document, instructor, client_for):
    # given a comment of the course's instructor on a lesson
    from lms.catalog.tests.factories import LessonFactory, PublishedCourseFactory, SectionFactory

    course = PublishedCourseFactory(instructor=instructor)
    lesson = LessonFactory(section=SectionFactory(course=course), course=course)
    client = client_for(instructor)
    posted = client.post(f"/api/v1/lessons/{lesson.pk}/comments/", {"body": "Hi"}, format="json")
    assert posted.status_code == 201, posted.content
    url = f"/api/v1/comments/{posted.json()['id']}/"

    # when
    empty = client.patch(url, {}, format="json")
    edited = client.patch(url, {"body": "Hello"}, format="json")
    orphan = client.post(
        f"/api/v1/lessons/{lesson.pk}/comments/",
        {"body": "Re", "parent": "117b54c6-5c0c-3799-bf1f-25d8063a6714"},
        format="json",
    )

    # then the document requires `body` (no partial update) and lists invalid_parent
    body = document["paths"]["/api/v1/comments/{id}/"]["patch"]["requestBody"]
    component = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert document["components"]["schemas"][component]["required"] == ["body"]
    assert (empty.status_code, error_codes(empty)) == (400, ["required"])
    assert edited.status_code == 200
    responses = document["paths"]["/api/v1/lessons/{id}/comments/"]["post"]["responses"]
    assert "`invalid_parent`" in responses["400"]["description"]
    assert (orphan.status_code, error_codes(orphan)) == (400, ["invalid_parent"])
