"""Throttling of the auth endpoints and hostile or malformed input."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from lms.accounts.tests.factories import PASSWORD
from lms.accounts.throttles import AccountLoginFailures, AuthAccountThrottle, AuthIPThrottle
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
RESET = "/api/v1/auth/password-reset/"
REGISTER = "/api/v1/auth/register/"
ME = "/api/v1/auth/me/"


@pytest.fixture
def rates(monkeypatch):
    """Set the auth throttles' rates directly: DRF reads them once, into the class."""

    def set_rates(*, ip: str = "1000/minute", account: str = "1000/minute") -> None:
        monkeypatch.setattr(AuthIPThrottle, "rate", ip, raising=False)
        monkeypatch.setattr(AuthAccountThrottle, "rate", account, raising=False)

    return set_rates


def _login(client, email, **extra):
    return client.post(LOGIN, {"email": email, "password": "wrong-password-0"}, **extra)


def _assert_throttled(response):
    assert response.status_code == 429
    assert error_codes(response) == ["throttled"]
    assert int(response["Retry-After"]) > 0


def test_default_auth_rate_is_configured():
    # then
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["auth"] == settings.THROTTLE_AUTH
    assert rates["auth_account"] == settings.THROTTLE_AUTH
    assert rates["login_failures"] == settings.THROTTLE_LOGIN_FAILURES == settings.THROTTLE_AUTH
    assert rates["login_account_failures"] == settings.THROTTLE_LOGIN_ACCOUNT_FAILURES


def test_login_limited_per_ip(anon_client, rates):
    # given
    rates(ip="3/minute")

    # when: every request names another account
    answers = [_login(anon_client, f"user{i}@example.com") for i in range(4)]

    # then
    assert [r.status_code for r in answers[:3]] == [401, 401, 401]
    _assert_throttled(answers[3])


def test_forged_x_forwarded_for_does_not_escape_ip_limit(anon_client, rates):
    # given
    rates(ip="3/minute")

    # when
    answers = [
        _login(
            anon_client,
            f"user{i}@example.com",
            HTTP_X_FORWARDED_FOR=f"10.0.{i}.{i}",
            REMOTE_ADDR="198.51.100.20",
        )
        for i in range(6)
    ]

    # then
    assert [r.status_code for r in answers] == [401, 401, 401, 429, 429, 429]


def test_behind_one_trusted_proxy_only_the_proxy_appended_address_counts(anon_client, rates):
    # given: the proxy appends the real client address to whatever the client sent
    rates(ip="3/minute")
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        # when
        forged = [
            _login(
                anon_client,
                f"user{i}@example.com",
                HTTP_X_FORWARDED_FOR=f"10.9.{i}.1, 203.0.113.7",
                REMOTE_ADDR="10.0.0.2",
            )
            for i in range(4)
        ]
        other_client = _login(
            anon_client,
            "someone@example.com",
            HTTP_X_FORWARDED_FOR="203.0.113.8",
            REMOTE_ADDR="10.0.0.2",
        )

    # then
    assert [r.status_code for r in forged] == [401, 401, 401, 429]
    assert other_client.status_code == 401


def test_login_limited_per_account_across_ips(anon_client, monkeypatch, student):
    # given: the ceiling of failures per account from every address (test_login_limits.py)
    monkeypatch.setattr(AccountLoginFailures, "rate", "3/minute", raising=False)

    # when: one account attacked from many addresses, with the email's case varied
    emails = [student.email, student.email.upper(), f"  {student.email}", student.email]
    answers = [
        _login(anon_client, email, REMOTE_ADDR=f"192.0.2.{i}") for i, email in enumerate(emails)
    ]

    # then
    assert [r.status_code for r in answers[:3]] == [401, 401, 401]
    _assert_throttled(answers[3])
    # even the right password is refused while the account is throttled
    right = anon_client.post(
        LOGIN, {"email": student.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.99"
    )
    assert right.status_code == 429
    # another account is unaffected
    assert _login(anon_client, "other@example.com", REMOTE_ADDR="192.0.2.100").status_code == 401


def test_throttle_window_passes(anon_client, rates, student):
    # given
    rates(ip="2/minute")
    _login(anon_client, "a@example.com")
    _login(anon_client, "b@example.com")
    assert _login(anon_client, "c@example.com").status_code == 429

    # when
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = anon_client.post(LOGIN, {"email": student.email, "password": PASSWORD})

    # then
    assert response.status_code == 200


def test_password_reset_limited_per_ip_and_account(anon_client, rates, student):
    # given
    rates(ip="3/minute", account="2/minute")

    # when
    per_account = [
        anon_client.post(RESET, {"email": student.email}, REMOTE_ADDR=f"192.0.2.{i}")
        for i in range(3)
    ]
    per_ip = [
        anon_client.post(RESET, {"email": f"x{i}@example.com"}, REMOTE_ADDR="198.51.100.1")
        for i in range(4)
    ]

    # then
    assert [r.status_code for r in per_account] == [202, 202, 429]
    assert [r.status_code for r in per_ip] == [202, 202, 202, 429]


def test_register_limited_per_ip(anon_client, rates):
    # given
    rates(ip="2/minute")

    # when
    answers = [
        anon_client.post(
            REGISTER,
            {
                "email": f"new{i}@example.com",
                "password": "a-strong-passphrase-1",
                "first_name": "N",
                "last_name": "U",
            },
            HTTP_X_FORWARDED_FOR=f"10.1.1.{i}",
        )
        for i in range(3)
    ]

    # then
    assert [r.status_code for r in answers] == [201, 201, 429]


# --- malformed input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", LOGIN), ("post", REGISTER), ("post", RESET), ("patch", ME)],
)
def test_malformed_json_400_parse_error(student_client, method, path):
    # when
    response = getattr(student_client, method)(
        path, data='{"email": "a@example.com", ', content_type="application/json"
    )

    # then
    assert response.status_code == 400
    assert response.json()["type"] == "client_error"
    assert error_codes(response) == ["parse_error"]


@pytest.mark.parametrize("body", ["[]", '"a string"', "42", "null"])
def test_json_that_is_not_an_object_400(anon_client, body):
    # when
    response = anon_client.post(LOGIN, data=body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_unsupported_content_type_415(anon_client):
    # when
    response = anon_client.post(LOGIN, data="email=a", content_type="text/plain")

    # then
    assert response.status_code == 415
    assert error_codes(response) == ["unsupported_media_type"]


def test_body_over_the_request_limit_413(anon_client, settings):
    # given
    settings.MAX_REQUEST_BODY_BYTES = 1024

    # when
    response = anon_client.post(LOGIN, {"email": "a@example.com", "password": "x" * 2000})

    # then
    assert response.status_code == 413
    assert error_codes(response) == ["request_too_large"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/not-a-uuid/",
        "/api/v1/users/1;DROP TABLE/",
        "/api/v1/instructors/%00/",
        "/api/v1/instructor-applications/abc/approve/",
        "/api/v1/instructor-applications/abc/files/cv/",
    ],
)
def test_invalid_uuid_in_path_404_json(admin_client_api, path):
    # when
    response = admin_client_api.get(path)

    # then
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_unknown_uuid_404_shape(admin_client_api):
    # when
    response = admin_client_api.get(f"/api/v1/users/{uuid.uuid4()}/")

    # then
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "client_error"
    assert set(body["errors"][0]) == {"code", "detail", "attr"}


def test_error_shape_on_validation(anon_client):
    # when
    response = anon_client.post(REGISTER, {})

    # then
    body = response.json()
    assert body["type"] == "validation_error"
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
    assert {e["attr"] for e in body["errors"]} == {"email", "password", "first_name", "last_name"}


def test_password_not_echoed_in_errors(anon_client):
    # given
    secret = "s3cret-passphrase-do-not-echo"

    # when
    response = anon_client.post(LOGIN, {"email": "nobody@example.com", "password": secret})

    # then
    assert secret not in response.content.decode()
