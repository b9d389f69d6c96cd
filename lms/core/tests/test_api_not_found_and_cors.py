"""Unknown routes under /api/ answer the JSON error shape whatever DEBUG says; CORS lets a
browser app read the download file name and the retry delay."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

UNKNOWN = ["/api/v1/no-such-thing/", "/api/v1/courses/a/b/c/d/", "/api/nothing", "/api/v2/"]


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", UNKNOWN)
def test_unknown_api_route_is_json_404(settings, debug, path):
    settings.DEBUG = debug
    response = APIClient().get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_unknown_api_route_with_a_post_is_json_404(settings, debug, student_client):
    settings.DEBUG = debug
    response = student_client.post("/api/v1/no-such-thing/", {"a": 1}, format="json")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_a_views_own_404_is_kept(student_client):
    """A view's 404 (already JSON, maybe with its own code) passes through unchanged."""
    response = student_client.get("/api/v1/courses/no-such-course/")
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


def test_unknown_route_outside_the_api_is_untouched(settings):
    settings.DEBUG = True
    response = APIClient().get("/not-the-api/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_unknown_api_route_carries_cors_headers(settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
    response = APIClient().get("/api/v1/nope/", HTTP_ORIGIN="http://localhost:3000")
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"


def test_cors_exposes_content_disposition_and_retry_after(settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
    response = APIClient().get("/api/v1/courses/", HTTP_ORIGIN="http://localhost:3000")
    assert response.status_code == 200
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"content-disposition", "retry-after"} <= exposed
