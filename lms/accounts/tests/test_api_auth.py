"""Registration, email verification, resend and login."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from lms.accounts.models import OneTimeCode, Role, User
from lms.accounts.tests.factories import PASSWORD, UserFactory
from lms.accounts.tests.helpers import html_part, link_token, sent_to, six_digit_code
from lms.audit.models import AuditLog
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
VERIFY = "/api/v1/auth/verify-email/"
RESEND = "/api/v1/auth/resend-verification/"
LOGIN = "/api/v1/auth/login/"

NEW_USER = {
    "email": "Ada.Lovelace@Example.com",
    "password": "analytical-engine-1843",
    "first_name": "Ada",
    "last_name": "Lovelace",
}


@pytest.fixture
def registered(anon_client, django_capture_on_commit_callbacks):
    """A freshly registered (unverified) user and the verification email they received."""
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(REGISTER, NEW_USER)
    assert response.status_code == 201
    user = User.objects.get(email="ada.lovelace@example.com")
    (message,) = sent_to(user.email)
    return user, message


# --- register --------------------------------------------------------------------------------


def test_register_creates_unverified_student_and_sends_email(
    anon_client, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(REGISTER, NEW_USER)

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada.lovelace@example.com"
    assert body["email_verified"] is False
    assert body["role"] == "student"
    assert body["first_name"] == "Ada"
    assert "password" not in body
    user = User.objects.get(pk=body["id"])
    assert user.check_password(NEW_USER["password"])
    assert AuditLog.objects.filter(action="user.registered", target_id=str(user.pk)).exists()

    (message,) = mail.outbox
    assert message.to == ["ada.lovelace@example.com"]
    code = six_digit_code(message)
    token = link_token(message)
    assert len(code) == 6
    assert code.isdigit()
    assert len(token) >= 32
    html = html_part(message)
    assert code in html
    assert token in html
    # stored only as hashes
    row = OneTimeCode.objects.get(user=user)
    assert code not in row.code_hash
    assert token not in row.token_hash


def test_register_ignores_role_in_body(anon_client):
    # when
    response = anon_client.post(REGISTER, {**NEW_USER, "role": "admin", "email_verified": True})

    # then
    assert response.status_code == 201
    user = User.objects.get(pk=response.json()["id"])
    assert user.role == Role.STUDENT
    assert not user.is_staff
    assert not user.is_superuser
    assert user.email_verified_at is None


def test_register_duplicate_email_case_insensitive(anon_client):
    # given
    UserFactory(email="ada.lovelace@example.com")

    # when
    response = anon_client.post(REGISTER, {**NEW_USER, "email": "ADA.LOVELACE@example.COM"})

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["email_taken"]
    assert response.json()["errors"][0]["attr"] == "email"
    assert User.objects.filter(email__iexact="ada.lovelace@example.com").count() == 1


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901234", "Ada.Lovelace1"])
def test_register_weak_password(anon_client, password):
    # when
    response = anon_client.post(REGISTER, {**NEW_USER, "password": password})

    # then
    assert response.status_code == 400
    assert set(error_codes(response)) == {"password_too_weak"}
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("payload", "attr", "code"),
    [
        ({k: v for k, v in NEW_USER.items() if k != "email"}, "email", "required"),
        ({k: v for k, v in NEW_USER.items() if k != "password"}, "password", "required"),
        ({k: v for k, v in NEW_USER.items() if k != "first_name"}, "first_name", "required"),
        ({**NEW_USER, "email": "not-an-email"}, "email", "invalid"),
        ({**NEW_USER, "email": ["a@b.c"]}, "email", "invalid"),
        ({**NEW_USER, "first_name": "x" * 151}, "first_name", "max_length"),
        ({**NEW_USER, "email": "a" * 250 + "@example.com"}, "email", "max_length"),
        ({**NEW_USER, "password": {"nested": 1}}, "password", "invalid"),
    ],
)
def test_register_bad_input(anon_client, payload, attr, code):
    # when
    response = anon_client.post(REGISTER, payload)

    # then
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert {"code": code, "attr": attr} in [
        {"code": e["code"], "attr": e["attr"]} for e in body["errors"]
    ]
    assert not User.objects.exists()


# --- verify ----------------------------------------------------------------------------------


def test_verify_by_link_token(anon_client, registered):
    # given
    user, message = registered

    # when
    response = anon_client.post(VERIFY, {"token": link_token(message)})

    # then
    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert AuditLog.objects.filter(action="user.email_verified", actor=user).exists()


def test_verify_by_email_and_code(anon_client, registered):
    # given
    user, message = registered

    # when
    response = anon_client.post(
        VERIFY, {"email": "ADA.lovelace@example.com", "code": six_digit_code(message)}
    )

    # then
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email_verified


def test_verified_user_can_log_in(anon_client, registered):
    # given
    user, message = registered
    anon_client.post(VERIFY, {"token": link_token(message)})

    # when
    response = anon_client.post(LOGIN, {"email": user.email, "password": NEW_USER["password"]})

    # then
    assert response.status_code == 200


def test_verification_is_single_use(anon_client, registered):
    # given
    user, message = registered
    assert anon_client.post(VERIFY, {"token": link_token(message)}).status_code == 200

    # when
    by_token = anon_client.post(VERIFY, {"token": link_token(message)})
    by_code = anon_client.post(VERIFY, {"email": user.email, "code": six_digit_code(message)})

    # then
    assert by_token.status_code == 400
    assert error_codes(by_token) == ["invalid_token"]
    assert by_code.status_code == 400
    assert error_codes(by_code) == ["invalid_code"]


def test_code_and_token_work_until_ten_minutes(anon_client, registered):
    # given
    user, message = registered

    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=9, seconds=50)):
        response = anon_client.post(VERIFY, {"email": user.email, "code": six_digit_code(message)})

    # then
    assert response.status_code == 200


@pytest.mark.parametrize("by", ["token", "code"])
def test_code_and_token_expire_after_ten_minutes(anon_client, registered, by):
    # given
    user, message = registered
    payload = (
        {"token": link_token(message)}
        if by == "token"
        else {"email": user.email, "code": six_digit_code(message)}
    )

    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = anon_client.post(VERIFY, payload)

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["code_expired"]
    user.refresh_from_db()
    assert not user.email_verified


def test_ttl_comes_from_the_setting(anon_client, settings, django_capture_on_commit_callbacks):
    # given
    settings.ONE_TIME_CODE_TTL_MINUTES = 2
    with django_capture_on_commit_callbacks(execute=True):
        anon_client.post(REGISTER, NEW_USER)
    (message,) = mail.outbox

    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=2, seconds=1)):
        response = anon_client.post(VERIFY, {"token": link_token(message)})

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["code_expired"]


def test_wrong_codes_count_attempts_and_lock_after_five(anon_client, registered):
    # given
    user, message = registered
    right = six_digit_code(message)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    # when
    wrong_answers = [
        anon_client.post(VERIFY, {"email": user.email, "code": wrong}) for _ in range(5)
    ]
    right_answer = anon_client.post(VERIFY, {"email": user.email, "code": right})

    # then
    assert [r.status_code for r in wrong_answers] == [400] * 5
    assert all(error_codes(r) == ["invalid_code"] for r in wrong_answers)
    assert OneTimeCode.objects.get(user=user).attempts == 5
    assert right_answer.status_code == 400
    assert error_codes(right_answer) == ["invalid_code"]
    user.refresh_from_db()
    assert not user.email_verified


def test_a_few_wrong_codes_still_allow_the_right_one(anon_client, registered):
    # given
    user, message = registered
    right = six_digit_code(message)
    wrong = f"{(int(right) + 7) % 1_000_000:06d}"
    for _ in range(4):
        anon_client.post(VERIFY, {"email": user.email, "code": wrong})

    # when
    response = anon_client.post(VERIFY, {"email": user.email, "code": right})

    # then
    assert response.status_code == 200


def test_resend_invalidates_the_old_code(
    anon_client, registered, django_capture_on_commit_callbacks
):
    # given
    user, first = registered

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(RESEND, {"email": user.email})

    # then
    assert response.status_code == 202
    second = sent_to(user.email)[-1]
    assert second is not first
    old_code = anon_client.post(VERIFY, {"email": user.email, "code": six_digit_code(first)})
    old_token = anon_client.post(VERIFY, {"token": link_token(first)})
    assert old_code.status_code == 400
    assert old_token.status_code == 400
    assert error_codes(old_token) == ["invalid_token"]
    new = anon_client.post(VERIFY, {"email": user.email, "code": six_digit_code(second)})
    assert new.status_code == 200


def test_resend_is_always_202_and_same_body(
    anon_client, student, django_capture_on_commit_callbacks
):
    # given: `student` is already verified
    with django_capture_on_commit_callbacks(execute=True):
        # when
        unknown = anon_client.post(RESEND, {"email": "nobody@example.com"})
        verified = anon_client.post(RESEND, {"email": student.email})

    # then
    assert unknown.status_code == verified.status_code == 202
    assert unknown.json() == verified.json()
    assert mail.outbox == []


def test_resend_bad_input(anon_client):
    # when
    response = anon_client.post(RESEND, {"email": "nope"})

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["invalid"]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"email": "ada@example.com"},
        {"code": "123456"},
        {"email": "ada@example.com", "code": "12345"},
        {"email": "ada@example.com", "code": "abcdef"},
        {"token": "x" * 201},
    ],
)
def test_verify_bad_input(anon_client, payload):
    # when
    response = anon_client.post(VERIFY, payload)

    # then
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_verify_unknown_token(anon_client):
    # when
    response = anon_client.post(VERIFY, {"token": "made-up-token"})

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_token"]


# --- login -----------------------------------------------------------------------------------


def test_login_returns_tokens_and_user(anon_client, student):
    # when
    response = anon_client.post(LOGIN, {"email": student.email, "password": PASSWORD})

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["id"] == str(student.pk)
    assert body["user"]["email_verified"] is True
    assert body["user"]["profile"] is not None
    student.refresh_from_db()
    assert student.last_login is not None


def test_login_email_is_case_insensitive(anon_client):
    # given
    user = UserFactory(email="mixed.case@example.com")

    # when
    response = anon_client.post(LOGIN, {"email": "  Mixed.CASE@Example.com ", "password": PASSWORD})

    # then
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(user.pk)


@pytest.mark.parametrize("email_kind", ["known", "unknown"])
def test_login_bad_credentials_401(anon_client, student, email_kind):
    # given
    email = student.email if email_kind == "known" else "ghost@example.com"

    # when
    response = anon_client.post(LOGIN, {"email": email, "password": "wrong-password-123"})

    # then
    assert response.status_code == 401
    assert error_codes(response) == ["invalid_credentials"]
    assert "access" not in response.json()


def test_login_inactive_user_401(anon_client):
    # given
    user = UserFactory(is_active=False)

    # when
    response = anon_client.post(LOGIN, {"email": user.email, "password": PASSWORD})

    # then
    assert response.status_code == 401
    assert error_codes(response) == ["invalid_credentials"]


def test_login_unverified_403_while_required(anon_client):
    # given
    user = UserFactory(email_verified_at=None)

    # when
    response = anon_client.post(LOGIN, {"email": user.email, "password": PASSWORD})

    # then
    assert response.status_code == 403
    assert error_codes(response) == ["email_not_verified"]
    assert "access" not in response.json()


def test_login_unverified_allowed_when_setting_off(anon_client, settings):
    # given
    settings.REQUIRE_EMAIL_VERIFICATION = False
    user = UserFactory(email_verified_at=None)

    # when
    response = anon_client.post(LOGIN, {"email": user.email, "password": PASSWORD})

    # then
    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is False


def test_login_writes_audit_lines(anon_client, student):
    # when
    failed = anon_client.post(
        LOGIN,
        {"email": student.email, "password": "not-the-password"},
        HTTP_USER_AGENT="pytest-agent",
        REMOTE_ADDR="198.51.100.7",
    )
    ok = anon_client.post(
        LOGIN, {"email": student.email, "password": PASSWORD}, HTTP_USER_AGENT="pytest-agent"
    )

    # then
    assert failed.status_code == 401
    assert ok.status_code == 200
    failure = AuditLog.objects.get(action="auth.login_failed")
    assert failure.actor is None
    assert failure.data["email"] == student.email
    assert failure.ip == "198.51.100.7"
    assert failure.user_agent == "pytest-agent"
    success = AuditLog.objects.get(action="auth.login")
    assert success.actor == student
    assert success.target_id == str(student.pk)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "required"),
        ({"email": "a@example.com"}, "required"),
        ({"email": 12, "password": "x"}, "invalid"),
        ({"email": "a@example.com", "password": "x" * 129}, "max_length"),
        ({"email": "a@example.com", "password": None}, "null"),
    ],
)
def test_login_bad_input(anon_client, payload, code):
    # when
    response = anon_client.post(LOGIN, payload)

    # then
    assert response.status_code == 400
    assert code in error_codes(response)


def test_register_and_login_refuse_get(anon_client):
    # when
    response = anon_client.get(LOGIN)

    # then
    assert response.status_code == 405
