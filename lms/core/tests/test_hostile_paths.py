"""Hostile path parameters: every route, every parameter, every method the view allows.

The URL resolver is walked, so a route added tomorrow is covered without touching this file.
A malformed id (`abc`) and a NUL byte in any path parameter answer 404 in the error shape,
never 500, on SQLite and on PostgreSQL (where a NUL in a query parameter is an error).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    template: str  # "/api/v1/cart/items/<str:item_id>/"
    parameters: tuple[str, ...]
    methods: tuple[str, ...]

    def url(self, **values: str) -> str:
        def substitute(match: re.Match[str]) -> str:
            value = values.get(match["name"], str(uuid.uuid4()))
            return quote(value, safe="")

        return "/" + _PARAMETER.sub(substitute, self.template)


def _allowed_methods(callback: object) -> tuple[str, ...]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:  # a function view: its decorators answer the other methods
        return ("get",)
    view_initkwargs = getattr(callback, "view_initkwargs", {}) or {}
    names = view_initkwargs.get("http_method_names", view_class.http_method_names)
    return tuple(m for m in _METHODS if m in names and hasattr(view_class, m))


def _walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[Route]:
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # regex routes (the admin's app index) take no free-form parameter
        template = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, template)
            continue
        parameters = tuple(match["name"] for match in _PARAMETER.finditer(template))
        if parameters:
            yield Route(template, parameters, _allowed_methods(entry.callback))


def routes_with_parameters() -> list[Route]:
    """Every route of the project with a path parameter, admin aside (it redirects by design)."""
    return [
        route
        for route in _walk(get_resolver().url_patterns, "")
        if not route.template.startswith("admin/")
    ]


def _cases() -> list[tuple[str, str, str]]:
    return [
        (route.template, parameter, method)
        for route in routes_with_parameters()
        for parameter in route.parameters
        for method in route.methods
    ]


_ROUTES = {route.template: route for route in routes_with_parameters()}


# Routes whose parameter is not a lookup key: they answer a malformed value exactly as they
# answer a well-formed unknown one (a signed media link that does not verify is 403, a
# certificate code that names nothing is a 200 "not valid" for the public checker). A NUL
# anywhere in a path is a 404 all the same.
NOT_A_LOOKUP = {
    "api/v1/media/stream/<str:token>/": 403,
    "api/v1/certificates/verify/<str:code>/": 200,
}


def test_the_walk_finds_the_routes_it_must():
    assert "api/v1/cart/items/<uuid:item_id>/" in _ROUTES
    assert "api/v1/courses/<str:course>/" in _ROUTES
    assert len(_cases()) > 80


def test_every_id_parameter_takes_the_uuid_converter():
    # `pk` and `*_id` are always UUIDs (core.BaseModel): the resolver itself refuses the rest
    loose = [
        route.template
        for route in _ROUTES.values()
        for match in _PARAMETER.finditer(route.template)
        if (match["name"] == "pk" or match["name"].endswith("_id")) and match["converter"] != "uuid"
    ]
    assert loose == []


@pytest.mark.parametrize("hostile", ["abc", "a\x00b"], ids=["malformed", "nul"])
@pytest.mark.parametrize(("template", "parameter", "method"), _cases())
def test_a_hostile_path_parameter_is_404(admin_client_api, template, parameter, method, hostile):
    # given a staff user, who gets past every role check to the lookup
    url = _ROUTES[template].url(**{parameter: hostile})

    # when
    response = getattr(admin_client_api, method)(url, {}, format="json")

    # then
    expected = 404 if "\x00" in hostile else NOT_A_LOOKUP.get(template, 404)
    assert response.status_code == expected, (method, url, response.content[:300])
    if expected == 404:
        assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize(("template", "parameter", "method"), _cases())
def test_a_malformed_path_parameter_is_never_500_for_anonymous(
    anon_client, db, template, parameter, method
):
    # given no credentials: 401/403 may come before the lookup
    url = _ROUTES[template].url(**{parameter: "abc"})

    # when
    response = getattr(anon_client, method)(url, {}, format="json")

    # then
    assert response.status_code in {401, 403, 404, NOT_A_LOOKUP.get(template)}, (method, url)
