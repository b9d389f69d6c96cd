"""Two-factor authentication: setup, confirmation, the two-step login under a frozen clock,
wrong / replayed / expired codes, recovery codes, challenges, throttles, REQUIRE_STAFF_MFA,
disabling, audit lines and the Django admin login."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from lms.accounts import two_factor
from lms.accounts.models import RecoveryCode, TwoFactorDevice
from lms.accounts.tests.factories import PASSWORD, AdminFactory, ManagerFactory, UserFactory
from lms.audit.models import AuditLog
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
LOGIN_2FA = "/api/v1/auth/login/2fa/"
SETUP = "/api/v1/auth/2fa/setup/"
CONFIRM = "/api/v1/auth/2fa/confirm/"
DISABLE = "/api/v1/auth/2fa/disable/"
ME = "/api/v1/auth/me/"


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _enable(client: APIClient, traveller: Any) -> tuple[pyotp.TOTP, list[str]]:
    """Set up and confirm 2FA through the API; the clock moves past the confirming step."""
    setup = client.post(SETUP)
    assert setup.status_code == 200, setup.json()
    totp = pyotp.TOTP(setup.json()["secret"])
    confirmed = client.post(CONFIRM, {"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.json()
    # turning 2FA on signs out every earlier session: carry on with the new pair
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {confirmed.json()['access']}")
    traveller.shift(timedelta(seconds=30))
    return totp, confirmed.json()["recovery_codes"]


def _password_step(user: Any) -> str:
    response = APIClient().post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["mfa_required"] is True
    assert "access" not in body
    assert "refresh" not in body
    return str(body["challenge"])


@pytest.fixture
def traveller() -> Any:
    # frozen from now on (tokens made by earlier fixtures stay valid: the clock never goes back)
    with time_machine.travel(timezone.now(), tick=False) as machine:
        yield machine


@pytest.fixture
def enabled(student_client: APIClient, traveller: Any) -> tuple[pyotp.TOTP, list[str]]:
    # student_client carries on with the pair the confirmation answers (earlier tokens die)
    return _enable(student_client, traveller)


# --- setup and confirmation --------------------------------------------------------------------


def test_setup_answers_a_secret_an_otpauth_url_and_an_svg_qr_code(student_client, student):
    response = student_client.post(SETUP)

    assert response.status_code == 200
    body = response.json()
    assert body["otpauth_url"].startswith("otpauth://totp/")
    assert body["secret"] in body["otpauth_url"]
    assert body["qr_svg"].lstrip().startswith("<?xml") or "<svg" in body["qr_svg"]
    assert "<svg" in body["qr_svg"]
    # not active until confirmed: the password login still signs in at once
    login = APIClient().post(LOGIN, {"email": student.email, "password": PASSWORD})
    assert "access" in login.json()


def test_confirm_returns_ten_recovery_codes_stored_hashed(student_client, student, traveller):
    _, codes = _enable(student_client, traveller)

    assert len(codes) == len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=student).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not set(codes) & set(stored)
    assert all(code.replace("-", "") not in h for code in codes for h in stored)
    actions = set(AuditLog.objects.filter(actor=student).values_list("action", flat=True))
    assert {"auth.2fa_setup_started", "auth.2fa_enabled"} <= actions


def test_confirm_with_a_wrong_code_400_and_not_enabled(student_client, student):
    student_client.post(SETUP)

    response = student_client.post(CONFIRM, {"code": "000000"})

    assert response.status_code == 400
    assert error_codes(response) == ["invalid_code"]
    assert not two_factor.is_enabled(student)


def test_confirm_without_setup_400(student_client):
    response = student_client.post(CONFIRM, {"code": "123456"})
    assert response.status_code == 400
    assert error_codes(response) == ["mfa_not_set_up"]


def test_setup_twice_when_enabled_409(student_client, enabled):
    response = student_client.post(SETUP)
    assert response.status_code == 409
    assert error_codes(response) == ["mfa_already_enabled"]


@pytest.mark.parametrize("url", [SETUP, CONFIRM, DISABLE])
def test_two_factor_routes_need_a_user(anon_client, url):
    assert anon_client.post(url, {"code": "123456"}).status_code == 401


@pytest.mark.parametrize("payload", [{}, {"code": ""}, {"code": "x" * 40}])
def test_confirm_bad_input_400(student_client, payload):
    student_client.post(SETUP)
    response = student_client.post(CONFIRM, payload, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


# --- the two-step login ------------------------------------------------------------------------


def test_full_totp_login_under_a_frozen_clock(student, enabled, traveller):
    totp, _ = enabled
    challenge = _password_step(student)

    response = APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": totp.now()})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["id"] == str(student.pk)
    assert _bearer(body["access"]).get(ME).status_code == 200
    line = AuditLog.objects.filter(actor=student, action="auth.login").latest("created_at")
    assert line.data == {"mfa": True}
    assert AuditLog.objects.filter(actor=student, action="auth.2fa_challenge_issued").exists()


def test_a_code_of_the_previous_step_is_accepted(student, enabled, traveller):
    totp, _ = enabled
    challenge = _password_step(student)
    code = totp.now()
    traveller.shift(timedelta(seconds=30))

    response = APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": code})

    assert response.status_code == 200


def test_an_expired_code_is_refused(student, enabled, traveller):
    totp, _ = enabled
    old_code = totp.now()
    traveller.shift(timedelta(seconds=90))
    challenge = _password_step(student)

    response = APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": old_code})

    assert response.status_code == 400
    assert error_codes(response) == ["invalid_code"]
    assert AuditLog.objects.filter(actor=student, action="auth.2fa_failed").exists()


def test_a_wrong_code_is_refused(student, enabled):
    challenge = _password_step(student)
    response = APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": "000000"})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_code"]


def test_a_replayed_code_is_refused(student, enabled):
    totp, _ = enabled
    code = totp.now()
    first = APIClient().post(LOGIN_2FA, {"challenge": _password_step(student), "code": code})
    assert first.status_code == 200

    replay = APIClient().post(LOGIN_2FA, {"challenge": _password_step(student), "code": code})

    assert replay.status_code == 400
    assert error_codes(replay) == ["invalid_code"]


def test_a_code_older_than_the_last_accepted_one_is_refused(student, enabled, traveller):
    totp, _ = enabled
    earlier = totp.now()
    traveller.shift(timedelta(seconds=30))
    later = totp.now()
    assert (
        APIClient()
        .post(LOGIN_2FA, {"challenge": _password_step(student), "code": later})
        .status_code
        == 200
    )

    response = APIClient().post(LOGIN_2FA, {"challenge": _password_step(student), "code": earlier})

    assert response.status_code == 400


def test_a_recovery_code_works_once(student, enabled):
    _, codes = enabled
    first = APIClient().post(LOGIN_2FA, {"challenge": _password_step(student), "code": codes[0]})
    assert first.status_code == 200
    assert AuditLog.objects.get(actor=student, action="auth.2fa_recovery_code_used").data == {
        "recovery_codes_left": 9
    }

    again = APIClient().post(LOGIN_2FA, {"challenge": _password_step(student), "code": codes[0]})

    assert again.status_code == 400
    assert error_codes(again) == ["invalid_code"]


def test_a_recovery_code_is_read_without_dashes_or_case(student, enabled):
    _, codes = enabled
    typed = codes[1].replace("-", " ").upper()
    response = APIClient().post(LOGIN_2FA, {"challenge": _password_step(student), "code": typed})
    assert response.status_code == 200


def test_a_challenge_after_five_minutes_is_refused(student, enabled, traveller):
    totp, _ = enabled
    challenge = _password_step(student)
    traveller.shift(timedelta(minutes=5, seconds=1))

    response = APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": totp.now()})

    assert response.status_code == 400
    assert error_codes(response) == ["challenge_expired"]


def test_a_challenge_used_twice_is_refused(student, enabled, traveller):
    totp, codes = enabled
    challenge = _password_step(student)
    assert (
        APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": totp.now()}).status_code == 200
    )

    response = APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": codes[0]})

    assert response.status_code == 400
    assert error_codes(response) == ["invalid_challenge"]


def test_the_code_step_without_the_password_step_is_refused(student, enabled):
    totp, _ = enabled
    response = APIClient().post(LOGIN_2FA, {"challenge": "made-up", "code": totp.now()})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_challenge"]


@pytest.mark.parametrize("payload", [{}, {"challenge": "x"}, {"code": "123456"}])
def test_the_code_step_bad_input_400(anon_client, payload):
    response = anon_client.post(LOGIN_2FA, payload, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_a_challenge_dies_after_five_wrong_codes(student, enabled, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "mfa_failures": "100/minute",
            "auth": "100/minute",
        },
    }
    totp, _ = enabled
    challenge = _password_step(student)
    for _ in range(5):
        APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": "000000"})

    response = APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": totp.now()})

    assert error_codes(response) == ["invalid_challenge"]


def test_wrong_codes_are_throttled_per_account(student, enabled):
    totp, _ = enabled
    for _ in range(5):
        client = APIClient(REMOTE_ADDR=f"10.0.0.{_ + 1}")  # a new address each time
        client.post(LOGIN_2FA, {"challenge": _password_step(student), "code": "000000"})

    response = APIClient(REMOTE_ADDR="10.0.1.1").post(
        LOGIN_2FA, {"challenge": _password_step(student), "code": totp.now()}
    )

    assert response.status_code == 429


def test_the_code_step_is_throttled_per_ip(anon_client):
    statuses = [
        anon_client.post(LOGIN_2FA, {"challenge": "x", "code": "123456"}).status_code
        for _ in range(11)
    ]
    assert statuses[-1] == 429


# --- disabling ---------------------------------------------------------------------------------


def test_disable_with_a_current_code(student, student_client, enabled):
    totp, _ = enabled

    response = student_client.post(DISABLE, {"code": totp.now()})

    assert response.status_code == 204
    assert not TwoFactorDevice.objects.filter(user=student).exists()
    assert not RecoveryCode.objects.filter(user=student).exists()
    assert AuditLog.objects.filter(actor=student, action="auth.2fa_disabled").exists()
    login = APIClient().post(LOGIN, {"email": student.email, "password": PASSWORD})
    assert "access" in login.json()


def test_disable_with_a_recovery_code(student_client, enabled):
    _, codes = enabled
    assert student_client.post(DISABLE, {"code": codes[3]}).status_code == 204


def test_disable_with_a_wrong_code_400(student, student_client, enabled):
    response = student_client.post(DISABLE, {"code": "000000"})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_code"]
    assert two_factor.is_enabled(student)


def test_disable_when_off_400(student_client):
    response = student_client.post(DISABLE, {"code": "123456"})
    assert error_codes(response) == ["mfa_not_enabled"]


# --- REQUIRE_STAFF_MFA -----------------------------------------------------------------------


@pytest.mark.parametrize("factory", [AdminFactory, ManagerFactory])
def test_staff_without_2fa_get_a_setup_only_token(settings, factory, traveller):
    settings.REQUIRE_STAFF_MFA = True
    staff = factory()

    response = APIClient().post(LOGIN, {"email": staff.email, "password": PASSWORD})

    assert response.status_code == 403
    body = response.json()
    assert error_codes(response) == ["mfa_enrollment_required"]
    assert "access" not in body
    setup_client = _bearer(body["setup_token"])
    # the setup token opens nothing but the 2FA setup routes
    refused = setup_client.get(ME)
    assert refused.status_code == 401
    assert error_codes(refused) == ["mfa_setup_token_only"]
    totp, _ = _enable(setup_client, traveller)
    # enrolled: the normal two-step login now works
    challenge = _password_step(staff)
    done = APIClient().post(LOGIN_2FA, {"challenge": challenge, "code": totp.now()})
    assert done.status_code == 200
    assert AuditLog.objects.filter(actor=staff, action="auth.2fa_enrollment_required").exists()


def test_staff_sign_in_directly_when_the_setting_is_off(settings):
    settings.REQUIRE_STAFF_MFA = False
    admin = AdminFactory()
    response = APIClient().post(LOGIN, {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "access" in response.json()


def test_staff_cannot_disable_2fa_while_required(settings, client_for, traveller):
    settings.REQUIRE_STAFF_MFA = True
    admin = AdminFactory()
    client = client_for(admin)
    totp, _ = _enable(client, traveller)
    response = client.post(DISABLE, {"code": totp.now()})
    assert response.status_code == 403
    assert error_codes(response) == ["mfa_required_for_staff"]


def test_students_are_not_asked_to_enrol(settings):
    settings.REQUIRE_STAFF_MFA = True
    user = UserFactory()
    response = APIClient().post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert "access" in response.json()


# --- Django admin -------------------------------------------------------------------------------


def test_the_admin_login_asks_for_the_code(settings, client, client_for, traveller):
    settings.REQUIRE_STAFF_MFA = True
    admin = AdminFactory()
    totp, _ = _enable(client_for(admin), traveller)

    without = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    wrong = client.post(
        "/admin/login/", {"username": admin.email, "password": PASSWORD, "otp_code": "000000"}
    )
    right = client.post(
        "/admin/login/", {"username": admin.email, "password": PASSWORD, "otp_code": totp.now()}
    )

    assert without.status_code == 200  # the form again
    assert wrong.status_code == 200
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_refuses_staff_who_must_enrol(settings, client):
    settings.REQUIRE_STAFF_MFA = True
    admin = AdminFactory()
    response = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_setup_token_opens_no_websocket(settings):
    from asgiref.sync import async_to_sync
    from django.contrib.auth.models import AnonymousUser

    from lms.accounts.websocket import _user_for

    settings.REQUIRE_STAFF_MFA = True
    admin = AdminFactory()
    token = (
        APIClient().post(LOGIN, {"email": admin.email, "password": PASSWORD}).json()["setup_token"]
    )

    user, session = async_to_sync(_user_for)(token)

    assert isinstance(user, AnonymousUser)
    assert session is None
