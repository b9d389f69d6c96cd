"""Answers Django gives outside the views are in the error shape, on every route, whatever DEBUG
says (lms.core.middleware.ErrorShapeMiddleware): an `/api/` address without its trailing
slash is a 404 naming the slashed address (never APPEND_SLASH's redirect, or its RuntimeError
page with DEBUG on); a wrong method is a 405 with `Allow`; the health checks answer GET and
HEAD only, without a CSRF check.

The URL resolver is walked, so a route added tomorrow is covered without touching this file.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

_PARAMETER = re.compile(r"<(?:[^>:]+:)?[^>]+>")
_WRITES = ("post", "put", "patch", "delete")
_METHODS = ("get", "head", "post", "put", "patch", "delete")


def _walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        template = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, template)
        else:
            yield template


def _api_routes() -> list[str]:
    """Every `/api/` route as a concrete path (each parameter a fresh UUID)."""
    return sorted(
        {
            "/" + _PARAMETER.sub(lambda _: str(uuid.uuid4()), template)
            for template in _walk(get_resolver().url_patterns, "")
            if template.startswith("api/")
        }
    )


def _allowed(path: str) -> set[str]:
    """The methods the route's view answers (a function view: what its decorator allows)."""
    match = get_resolver().resolve(path)
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    if view_class is None:
        return {"get", "head"}
    initkwargs = getattr(match.func, "view_initkwargs", {}) or {}
    names = initkwargs.get("http_method_names", view_class.http_method_names)
    allowed = {method for method in _METHODS if method in names and hasattr(view_class, method)}
    if "get" in allowed:
        allowed.add("head")
    return allowed


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "client_error"
    assert [error["code"] for error in body["errors"]] == [code]
    return body


# --- 1. an /api/ address without its trailing slash ----------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_every_api_route_without_its_slash_is_a_json_404_naming_the_slashed_path(settings, debug):
    # given DEBUG as `make run` (on) or production (off) has it, APPEND_SLASH as Django's default
    settings.DEBUG = debug
    assert settings.APPEND_SLASH
    client = Client()
    routes = _api_routes()
    assert len(routes) > 100  # the walk found the API

    for path in routes:
        slashless = path.rstrip("/")
        for method in ("get", *_WRITES):
            # when
            if method == "get":
                response = client.get(slashless)
            else:
                response = getattr(client, method)(
                    slashless, data='{"email": "a@example.com"}', content_type="application/json"
                )

            # then no redirect (a client would lose its body) and no HTML page
            body = _assert_error(response, 404, "not_found")
            assert body["errors"][0]["detail"].endswith(f": {path}"), (method, path)


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_the_reported_writes_without_a_slash_are_json_404s(settings, debug):
    settings.DEBUG = debug
    client = APIClient()
    cases = [
        ("post", "/api/v1/auth/login", {"email": "a@example.com", "password": "x"}),
        ("post", "/api/v1/cart/items", {"course": str(uuid.uuid4())}),
        ("put", "/api/v1/auth/me", {"first_name": "A"}),
        ("patch", "/api/v1/auth/me", {"first_name": "A"}),
        ("delete", f"/api/v1/cart/items/{uuid.uuid4()}", None),
    ]
    for method, path, data in cases:
        response = getattr(client, method)(path, data, format="json")
        body = _assert_error(response, 404, "not_found")
        assert body["errors"][0]["detail"] == (
            f"Not found. API addresses end with a slash: {path}/"
        )


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", ["/api", "/api/v1", "/api/v1/no-such-thing"])
def test_api_addresses_that_match_nothing_are_json_404s(settings, debug, method, path):
    settings.DEBUG = debug
    response = getattr(APIClient(), method)(path)
    body = _assert_error(response, 404, "not_found")
    assert body["errors"][0]["detail"] == "Not found."


def test_the_slash_answer_carries_cors_headers(settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
    response = APIClient().post(
        "/api/v1/auth/login", {"email": "a@example.com"}, HTTP_ORIGIN="http://localhost:3000"
    )
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"


def test_outside_the_api_django_keeps_its_slash_redirect():
    response = Client().get("/health/live")
    assert response.status_code == 301
    assert response["Location"] == "/health/live/"


# --- 2. a wrong method on any route ----------------------------------------------------------


def test_a_wrong_method_on_every_api_route_is_a_json_405_or_an_earlier_refusal(
    admin_client_api,
):
    """As an admin (most permission checks pass), every method a route's view does not answer
    is 405 `method_not_allowed` with `Allow`, or a refusal DRF makes before it looks at the
    method (401/403/404/429, the error shape too); never an HTML or empty body."""
    seen_405 = 0
    for path in _api_routes():
        if path.startswith(("/api/docs/", "/api/redoc/", "/api/schema/")):
            continue
        for method in sorted(set(_WRITES) - _allowed(path)):
            response = getattr(admin_client_api, method)(path, {}, format="json")
            assert response.status_code in (401, 403, 404, 405, 429), (method, path)
            assert response["Content-Type"].startswith("application/json"), (method, path)
            codes = [error["code"] for error in response.json()["errors"]]
            if response.status_code == 405:
                seen_405 += 1
                assert codes == ["method_not_allowed"], (method, path)
                assert method.upper() not in response["Allow"], (method, path)
    assert seen_405 > 100


@pytest.mark.parametrize("method", _WRITES)
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_a_wrong_method_on_the_documents_is_a_json_405(method, path):
    response = getattr(APIClient(), method)(path)
    _assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize("method", _WRITES)
def test_a_wrong_method_on_the_media_stream_is_a_json_405(method):
    # given a browser-like client that enforces CSRF
    response = getattr(Client(enforce_csrf_checks=True), method)("/api/v1/media/stream/x/")
    body = _assert_error(response, 405, "method_not_allowed")
    assert body["errors"][0]["detail"] == f'Method "{method.upper()}" not allowed.'
    assert response["Allow"] == "GET, HEAD"


# --- 3. the health checks ---------------------------------------------------------------------


@pytest.mark.parametrize("method", _WRITES)
@pytest.mark.parametrize("path", ["/health/live/", "/health/ready/"])
def test_health_checks_answer_anything_but_get_and_head_with_a_json_405(method, path):
    # given a browser-like client that enforces CSRF (no token sent)
    response = getattr(Client(enforce_csrf_checks=True), method)(path)

    # then 405 in the error shape, not the CSRF middleware's 403 page
    _assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", ["/health/live/", "/health/ready/"])
def test_health_checks_answer_get_and_head(path):
    client = Client()
    got = client.get(path)
    head = client.head(path)
    assert got.status_code == head.status_code == 200
    assert got.json()["status"] == "ok"
    assert head.content == b""
