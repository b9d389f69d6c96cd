"""JWT settings, refresh rotation, logout, token forgery and concurrent rotation."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken

from lms.accounts.tests.factories import UserFactory
from lms.accounts.tests.helpers import bearer
from lms.audit.models import AuditLog
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/auth/me/"


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


# --- settings --------------------------------------------------------------------------------


def test_simplejwt_settings_are_ours():
    # then
    assert timedelta(minutes=15) == jwt_settings.ACCESS_TOKEN_LIFETIME
    assert timedelta(days=7) == jwt_settings.REFRESH_TOKEN_LIFETIME
    assert jwt_settings.ROTATE_REFRESH_TOKENS is True
    assert jwt_settings.BLACKLIST_AFTER_ROTATION is True
    assert jwt_settings.ALGORITHM == "HS256"
    assert [cls.__name__ for cls in jwt_settings.AUTH_TOKEN_CLASSES] == ["AccessToken"]
    assert "rest_framework_simplejwt.token_blacklist" in settings.INSTALLED_APPS
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "lms.accounts.authentication.JWTAuthentication"
    ]


def test_issued_lifetimes(log_in, student):
    # when
    pair = log_in(student)

    # then
    access, refresh = _claims(pair["access"]), _claims(pair["refresh"])
    assert access["token_type"] == "access"
    assert refresh["token_type"] == "refresh"
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert jwt.get_unverified_header(pair["access"])["alg"] == "HS256"
    assert OutstandingToken.objects.filter(user=student, jti=refresh["jti"]).exists()


def test_access_token_authenticates(log_in, student):
    # given
    client = APIClient()
    access = log_in(student)["access"]

    # when
    response = client.get(ME, **bearer(access))

    # then
    assert response.status_code == 200
    assert response.json()["id"] == str(student.pk)


def test_refresh_token_used_as_access_401(log_in, student):
    # given
    refresh = log_in(student)["refresh"]

    # when
    response = APIClient().get(ME, **bearer(refresh))

    # then
    assert response.status_code == 401
    assert error_codes(response) == ["token_not_valid"]


def test_alg_none_token_401(log_in, student):
    # given: a copy of a real access token's claims, unsigned
    claims = _claims(log_in(student)["access"])
    forged = jwt.encode(claims, key=None, algorithm="none")

    # when
    response = APIClient().get(ME, **bearer(forged))

    # then
    assert response.status_code == 401


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_hmac_algorithm_401(log_in, student):
    # given: the right key, but an algorithm that is not the one configured
    claims = _claims(log_in(student)["access"])
    forged = jwt.encode(claims, key=jwt_settings.SIGNING_KEY, algorithm="HS512")

    # when
    response = APIClient().get(ME, **bearer(forged))

    # then
    assert response.status_code == 401


def test_wrong_key_401(log_in, student):
    # given
    claims = _claims(log_in(student)["access"])
    forged = jwt.encode(claims, key="not-the-signing-key-0123456789abcdef", algorithm="HS256")

    # when
    response = APIClient().get(ME, **bearer(forged))

    # then
    assert response.status_code == 401


def test_token_for_someone_else_by_editing_claims_401(log_in, student, other_student):
    # given: the payload edited to name another user, keeping the original signature
    access = log_in(student)["access"]
    header, _, signature = access.split(".")
    claims = {**_claims(access), "user_id": str(other_student.pk)}
    body = jwt.encode(claims, key="x" * 64, algorithm="HS256").split(".")[1]

    # when
    response = APIClient().get(ME, **bearer(f"{header}.{body}.{signature}"))

    # then
    assert response.status_code == 401


def test_expired_access_401(log_in, student):
    # given
    access = log_in(student)["access"]

    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        response = APIClient().get(ME, **bearer(access))

    # then
    assert response.status_code == 401
    assert error_codes(response) == ["token_not_valid"]


def test_access_valid_just_before_expiry(log_in, student):
    # given
    access = log_in(student)["access"]

    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        response = APIClient().get(ME, **bearer(access))

    # then
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer not.a.jwt", "Token abc", "Bearer a b"])
def test_malformed_authorization_header_401(student, header):
    # when
    response = APIClient().get(ME, HTTP_AUTHORIZATION=header)

    # then
    assert response.status_code == 401


def test_validly_signed_token_of_unknown_user_401(student):
    # given: a correctly signed access token naming a user that does not exist (deleted)
    token = AccessToken.for_user(student)
    token["user_id"] = str(uuid.uuid4())

    # when
    response = APIClient().get(ME, **bearer(str(token)))

    # then
    assert response.status_code == 401


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_rotates_and_old_refresh_rejected(anon_client, log_in, student):
    # given
    old = log_in(student)["refresh"]

    # when
    first = anon_client.post(REFRESH, {"refresh": old})
    again = anon_client.post(REFRESH, {"refresh": old})

    # then
    assert first.status_code == 200
    pair = first.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != old
    assert again.status_code == 401
    assert error_codes(again) == ["token_not_valid"]
    assert BlacklistedToken.objects.filter(token__jti=_claims(old)["jti"]).exists()
    # the new pair works
    assert APIClient().get(ME, **bearer(pair["access"])).status_code == 200
    assert anon_client.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 200


def test_refresh_with_access_token_401(anon_client, log_in, student):
    # given
    access = log_in(student)["access"]

    # when
    response = anon_client.post(REFRESH, {"refresh": access})

    # then
    assert response.status_code == 401


def test_refresh_expired_after_seven_days(anon_client, log_in, student):
    # given
    refresh = log_in(student)["refresh"]

    # when
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        response = anon_client.post(REFRESH, {"refresh": refresh})

    # then
    assert response.status_code == 401


def test_refresh_for_inactive_user_401(anon_client, log_in, student):
    # given
    refresh = log_in(student)["refresh"]
    student.is_active = False
    student.save()

    # when
    response = anon_client.post(REFRESH, {"refresh": refresh})

    # then
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({}, 400, "required"),
        ({"refresh": ""}, 400, "blank"),
        ({"refresh": 42}, 400, "invalid"),  # a JSON number is not the documented string
        ({"refresh": "garbage"}, 401, "token_not_valid"),
        ({"refresh": "x" * 2001}, 400, "max_length"),
    ],
)
def test_refresh_bad_input(anon_client, payload, status, code):
    # when
    response = anon_client.post(REFRESH, payload)

    # then
    assert response.status_code == status
    assert error_codes(response) == [code]


# --- logout ----------------------------------------------------------------------------------


def test_logout_blacklists_refresh(anon_client, log_in, student):
    # given
    pair = log_in(student)
    client = APIClient()
    client.credentials(**bearer(pair["access"]))

    # when
    response = client.post(LOGOUT, {"refresh": pair["refresh"]})

    # then
    assert response.status_code == 204
    assert anon_client.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
    assert AuditLog.objects.filter(action="auth.logout", actor=student).exists()


def test_logout_with_another_users_refresh_refused(anon_client, log_in, student, other_student):
    # given
    mine = log_in(student)
    theirs = log_in(other_student)
    client = APIClient()
    client.credentials(**bearer(mine["access"]))

    # when
    response = client.post(LOGOUT, {"refresh": theirs["refresh"]})

    # then
    assert response.status_code == 401
    # their session is untouched
    assert anon_client.post(REFRESH, {"refresh": theirs["refresh"]}).status_code == 200


def test_logout_anonymous_401(anon_client, log_in, student):
    # given
    refresh = log_in(student)["refresh"]

    # when
    response = anon_client.post(LOGOUT, {"refresh": refresh})

    # then
    assert response.status_code == 401
    assert anon_client.post(REFRESH, {"refresh": refresh}).status_code == 200


def test_logout_bad_input(student_client):
    # when
    missing = student_client.post(LOGOUT, {})
    garbage = student_client.post(LOGOUT, {"refresh": "nope"})

    # then
    assert missing.status_code == 400
    assert error_codes(missing) == ["required"]
    assert garbage.status_code == 401


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_refreshes_exactly_one_succeeds():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    # given
    from lms.accounts.tokens import issue_token_pair

    user = UserFactory(email=f"race-{uuid.uuid4().hex[:8]}@example.com")
    refresh = issue_token_pair(user)["refresh"]
    barrier = threading.Barrier(10)
    statuses: list[int] = []
    lock = threading.Lock()

    def spend() -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=10)
            status = client.post(REFRESH, {"refresh": refresh}).status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=spend) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then
    assert sorted(statuses) == [200] + [401] * 9
    assert BlacklistedToken.objects.filter(token__jti=_claims(refresh)["jti"]).count() == 1
