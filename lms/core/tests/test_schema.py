"""The OpenAPI document: generated without a warning, and saying what the server does
(lms.core.schema; issue 11, section 1)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from lms.conftest import error_codes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


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
    assert response["Allow"] == "GET"


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
