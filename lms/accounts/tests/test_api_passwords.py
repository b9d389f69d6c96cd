"""Change password, password reset by link and by code, and revocation of every token."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from lms.accounts.tests.factories import PASSWORD, UserFactory
from lms.accounts.tests.helpers import bearer, html_part, link_token, sent_to, six_digit_code
from lms.audit.models import AuditLog
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

CHANGE = "/api/v1/auth/change-password/"
RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
REFRESH = "/api/v1/auth/refresh/"
LOGIN = "/api/v1/auth/login/"
ME = "/api/v1/auth/me/"
NEW_PASSWORD = "a-brand-new-passphrase-77"


@pytest.fixture
def two_sessions(log_in, student):
    """Two logins of the student, as from a laptop and a phone."""
    return log_in(student), log_in(student)


def _assert_sessions_dead(sessions):
    for session in sessions:
        assert APIClient().get(ME, **bearer(session["access"])).status_code == 401
        assert APIClient().post(REFRESH, {"refresh": session["refresh"]}).status_code == 401


# --- change password -------------------------------------------------------------------------


def test_change_password_keeps_the_caller_signed_in_and_revokes_the_others(
    anon_client, student, two_sessions
):
    # given
    laptop, phone = two_sessions
    client = APIClient()
    client.credentials(**bearer(laptop["access"]))

    # when
    response = client.post(CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    # then: a fresh pair for the caller; every earlier token, the caller's too, is refused
    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    _assert_sessions_dead([laptop, phone])
    assert client.get(ME).status_code == 401
    assert APIClient().get(ME, **bearer(fresh["access"])).status_code == 200
    rotated = APIClient().post(REFRESH, {"refresh": fresh["refresh"]})
    assert rotated.status_code == 200
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    old = anon_client.post(LOGIN, {"email": student.email, "password": PASSWORD})
    new = anon_client.post(LOGIN, {"email": student.email, "password": NEW_PASSWORD})
    assert old.status_code == 401
    assert new.status_code == 200
    assert AuditLog.objects.filter(action="auth.password_changed", actor=student).exists()


def test_change_password_wrong_old_password(student, two_sessions):
    # given
    laptop, _ = two_sessions
    client = APIClient()
    client.credentials(**bearer(laptop["access"]))

    # when
    response = client.post(CHANGE, {"old_password": "not-it-at-all", "new_password": NEW_PASSWORD})

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["wrong_password"]
    assert response.json()["errors"][0]["attr"] == "old_password"
    student.refresh_from_db()
    assert student.check_password(PASSWORD)
    assert client.get(ME).status_code == 200


@pytest.mark.parametrize("weak", ["short", "password123", "98765432109876"])
def test_change_password_weak_new_password(student, student_client, weak):
    # when
    response = student_client.post(CHANGE, {"old_password": PASSWORD, "new_password": weak})

    # then
    assert response.status_code == 400
    assert set(error_codes(response)) == {"password_too_weak"}
    assert {e["attr"] for e in response.json()["errors"]} == {"new_password"}
    student.refresh_from_db()
    assert student.check_password(PASSWORD)
    assert student_client.get(ME).status_code == 200


def test_change_password_anonymous_401(anon_client):
    # when
    response = anon_client.post(CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    # then
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "required"),
        ({"old_password": PASSWORD}, "required"),
        ({"old_password": PASSWORD, "new_password": ["x"]}, "invalid"),
        ({"old_password": PASSWORD, "new_password": "x" * 129}, "max_length"),
    ],
)
def test_change_password_bad_input(student_client, payload, code):
    # when
    response = student_client.post(CHANGE, payload)

    # then
    assert response.status_code == 400
    assert code in error_codes(response)


# --- password reset --------------------------------------------------------------------------


@pytest.fixture
def reset_email(anon_client, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(RESET, {"email": student.email.upper()})
    assert response.status_code == 202
    (message,) = sent_to(student.email)
    return message


def test_reset_request_sends_email_with_link_and_code(reset_email, student):
    # then
    assert len(six_digit_code(reset_email)) == 6
    assert "reset-password?token=" in reset_email.body
    assert link_token(reset_email) in html_part(reset_email)
    assert AuditLog.objects.filter(action="auth.password_reset_requested", actor=student).exists()


def test_reset_request_no_enumeration(anon_client, student, django_capture_on_commit_callbacks):
    # given
    inactive = UserFactory(is_active=False)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        known = anon_client.post(RESET, {"email": student.email})
        unknown = anon_client.post(RESET, {"email": "no-such-person@example.com"})
        disabled = anon_client.post(RESET, {"email": inactive.email})

    # then
    assert known.status_code == unknown.status_code == disabled.status_code == 202
    assert known.json() == unknown.json() == disabled.json()
    assert [message.to for message in mail.outbox] == [[student.email]]


def test_reset_request_bad_input(anon_client):
    # when
    missing = anon_client.post(RESET, {})
    invalid = anon_client.post(RESET, {"email": "not-an-email"})

    # then
    assert missing.status_code == invalid.status_code == 400
    assert error_codes(missing) == ["required"]
    assert error_codes(invalid) == ["invalid"]


def test_confirm_by_token(anon_client, student, reset_email, two_sessions):
    # when
    response = anon_client.post(
        CONFIRM, {"token": link_token(reset_email), "new_password": NEW_PASSWORD}
    )

    # then
    assert response.status_code == 204
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    _assert_sessions_dead(two_sessions)
    assert (
        anon_client.post(LOGIN, {"email": student.email, "password": NEW_PASSWORD}).status_code
        == 200
    )
    assert AuditLog.objects.filter(action="auth.password_reset", actor=student).exists()


def test_confirm_by_email_and_code(anon_client, student, reset_email, two_sessions):
    # when
    response = anon_client.post(
        CONFIRM,
        {"email": student.email, "code": six_digit_code(reset_email), "new_password": NEW_PASSWORD},
    )

    # then
    assert response.status_code == 204
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    _assert_sessions_dead(two_sessions)


def test_confirm_is_single_use(anon_client, student, reset_email):
    # given
    first = anon_client.post(
        CONFIRM, {"token": link_token(reset_email), "new_password": NEW_PASSWORD}
    )

    # when
    by_token = anon_client.post(
        CONFIRM, {"token": link_token(reset_email), "new_password": "another-passphrase-88"}
    )
    by_code = anon_client.post(
        CONFIRM,
        {
            "email": student.email,
            "code": six_digit_code(reset_email),
            "new_password": "another-passphrase-88",
        },
    )

    # then
    assert first.status_code == 204
    assert by_token.status_code == by_code.status_code == 400
    assert error_codes(by_token) == ["invalid_token"]
    assert error_codes(by_code) == ["invalid_code"]
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)


def test_confirm_expired(anon_client, student, reset_email):
    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = anon_client.post(
            CONFIRM, {"token": link_token(reset_email), "new_password": NEW_PASSWORD}
        )

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["code_expired"]
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_confirm_weak_password_keeps_the_code(anon_client, student, reset_email):
    # when
    weak = anon_client.post(CONFIRM, {"token": link_token(reset_email), "new_password": "abc"})
    strong = anon_client.post(
        CONFIRM, {"token": link_token(reset_email), "new_password": NEW_PASSWORD}
    )

    # then
    assert weak.status_code == 400
    assert set(error_codes(weak)) == {"password_too_weak"}
    assert {e["attr"] for e in weak.json()["errors"]} == {"new_password"}
    assert strong.status_code == 204


def test_confirm_wrong_code_counts_attempts(anon_client, student, reset_email):
    # given
    right = six_digit_code(reset_email)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = anon_client.post(
            CONFIRM, {"email": student.email, "code": wrong, "new_password": NEW_PASSWORD}
        )
        assert error_codes(response) == ["invalid_code"]

    # when
    response = anon_client.post(
        CONFIRM, {"email": student.email, "code": right, "new_password": NEW_PASSWORD}
    )

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_code"]


def test_verification_code_cannot_reset_password(anon_client, django_capture_on_commit_callbacks):
    # given: an unverified user holding a verification (not reset) code
    with django_capture_on_commit_callbacks(execute=True):
        anon_client.post(
            "/api/v1/auth/register/",
            {
                "email": "eve@example.com",
                "password": "eves-passphrase-123",
                "first_name": "Eve",
                "last_name": "E",
            },
        )
    (message,) = mail.outbox

    # when
    response = anon_client.post(
        CONFIRM, {"token": link_token(message), "new_password": NEW_PASSWORD}
    )

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_token"]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"new_password": NEW_PASSWORD},
        {"token": "abc"},
        {"email": "a@example.com", "new_password": NEW_PASSWORD},
        {"email": "a@example.com", "code": "1234567", "new_password": NEW_PASSWORD},
    ],
)
def test_confirm_bad_input(anon_client, payload):
    # when
    response = anon_client.post(CONFIRM, payload)

    # then
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_reset_verifies_email_too(anon_client, django_capture_on_commit_callbacks):
    # given
    user = UserFactory(email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        anon_client.post(RESET, {"email": user.email})
    (message,) = mail.outbox

    # when
    anon_client.post(CONFIRM, {"token": link_token(message), "new_password": NEW_PASSWORD})

    # then
    user.refresh_from_db()
    assert user.email_verified


def test_reset_link_dies_with_deactivation(anon_client, admin_client_api, student, reset_email):
    # given
    admin_client_api.patch(f"/api/v1/users/{student.pk}/", {"is_active": False})

    # when
    by_token = anon_client.post(
        CONFIRM, {"token": link_token(reset_email), "new_password": NEW_PASSWORD}
    )
    by_code = anon_client.post(
        CONFIRM,
        {"email": student.email, "code": six_digit_code(reset_email), "new_password": NEW_PASSWORD},
    )

    # then
    assert by_token.status_code == by_code.status_code == 400
    assert error_codes(by_token) == ["invalid_token"]
    assert error_codes(by_code) == ["invalid_code"]
    student.refresh_from_db()
    assert student.check_password(PASSWORD)
