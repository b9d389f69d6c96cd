"""Platform conventions: health, errors, pagination, CORS, limits, schema, deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from lms.conftest import error_codes
from lms.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_health_live(anon_client):
    response = anon_client.get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_ready_checks_database_and_cache(anon_client):
    response = anon_client.get("/health/ready/")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


def test_health_ready_reports_a_broken_cache(anon_client, monkeypatch):
    # given a cache that fails
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", broken)

    # when
    response = anon_client.get("/health/ready/")

    # then
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "error"


def test_unknown_path_answers_the_error_shape(anon_client):
    response = anon_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


def test_malformed_json_is_a_parse_error(anon_client):
    response = anon_client.post("/api/v1/auth/login/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert error_codes(response) == ["parse_error"]


def test_validation_errors_name_the_field(anon_client):
    response = anon_client.post("/api/v1/auth/register/", {"email": "not-an-email"})

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    attrs = {error["attr"] for error in body["errors"]}
    assert {"email", "password", "first_name", "last_name"} <= attrs


def test_wrong_method_is_405(student_client):
    # (DELETE /auth/me/ deletes the account since issue 14; POST was never a method here)
    response = student_client.post("/api/v1/auth/me/", {}, format="json")

    assert response.status_code == 405
    assert error_codes(response) == ["method_not_allowed"]


def test_invalid_uuid_in_path_is_404(student_client):
    response = student_client.post("/api/v1/notifications/not-a-uuid/read/")

    assert response.status_code == 404


def test_page_size_is_capped_at_100(student, student_client):
    Notification.objects.bulk_create(
        Notification(user=student, category="account", title=f"n{i}") for i in range(120)
    )

    response = student_client.get("/api/v1/notifications/?page_size=500")

    body = response.json()
    assert body["count"] == 120
    assert len(body["results"]) == 100
    assert body["next"] is not None
    assert set(body) == {"count", "next", "previous", "results"}


def test_page_past_the_end_is_404(student_client):
    response = student_client.get("/api/v1/notifications/?page=9")

    assert response.status_code == 404


def test_cors_allows_only_configured_origins(anon_client):
    allowed = settings.CORS_ALLOWED_ORIGINS[0]

    good = anon_client.get("/health/live/", HTTP_ORIGIN=allowed)
    evil = anon_client.get("/health/live/", HTTP_ORIGIN="https://evil.example")

    assert good["Access-Control-Allow-Origin"] == allowed
    assert "Access-Control-Allow-Origin" not in evil


@override_settings(MAX_REQUEST_BODY_BYTES=1024)
def test_request_body_over_the_limit_is_413(anon_client):
    response = anon_client.post(
        "/api/v1/auth/login/",
        {"email": "a@example.com", "password": "x" * 2048},
    )

    assert response.status_code == 413
    assert error_codes(response) == ["request_too_large"]


def test_security_headers(anon_client):
    response = anon_client.get("/health/live/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_openapi_schema_and_docs_are_served(anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = anon_client.get("/api/docs/")
    redoc = anon_client.get("/api/redoc/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/auth/login/" in paths
    assert "/api/v1/notifications/preferences/" in paths
    assert docs.status_code == 200
    assert redoc.status_code == 200


def test_check_deploy_is_clean_with_production_settings():
    # given production-like settings: DEBUG off, a long random key, HTTPS everywhere
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x7#kP2!vQ9@mL4$wR8^tY1&uI6*oE3(aS5)dF0_gH-jK+zX=cV/bN<mM>",
        "SECURE_SSL_REDIRECT": "true",
        "ALLOWED_HOSTS": "api.example.com",
        "DATABASE_URL": "sqlite:////tmp/lms-check-deploy.sqlite3",
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_check_deploy",
        "STRIPE_WEBHOOK_SECRET": "whsec_check_deploy",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("ALLOW_FAKE_PAYMENTS", None)

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # then
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_empty_jwt_signing_key_falls_back_to_the_secret_key():
    env = {**os.environ, "JWT_SIGNING_KEY": "", "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SIMPLE_JWT['SIGNING_KEY'] == settings.SECRET_KEY != '')"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


def test_the_benchmark_floor_is_not_routed_by_default(anon_client):
    assert anon_client.get("/bench/floor/").status_code == 404
