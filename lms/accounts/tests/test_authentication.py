"""Bearer authentication: the user behind an access token (simplejwt's get_user, cached)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from lms.accounts.models import User
from lms.accounts.tests.factories import UserFactory
from lms.accounts.tests.helpers import bearer
from lms.accounts.tokens import issue_token_pair, revoke_all_tokens
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"


def _me(access: str):
    return APIClient().get(ME, **bearer(access))


def test_the_token_user_is_the_request_user(student):
    # given
    access = issue_token_pair(student)["access"]

    # when
    response = _me(access)

    # then
    assert response.status_code == 200
    assert response.json()["id"] == str(student.pk)
    assert response.json()["email"] == student.email


def test_each_token_finds_its_own_user(student, other_student):
    # one cache key per user: no user is answered for another
    mine, theirs = issue_token_pair(student)["access"], issue_token_pair(other_student)["access"]

    assert _me(mine).json()["id"] == str(student.pk)
    assert _me(theirs).json()["id"] == str(other_student.pk)
    assert _me(mine).json()["id"] == str(student.pk)


def test_a_deleted_user_is_401_user_not_found():
    # given
    user = UserFactory()
    access = issue_token_pair(user)["access"]
    User.objects.filter(pk=user.pk).delete()

    # when
    response = _me(access)

    # then
    assert response.status_code == 401
    assert error_codes(response) == ["user_not_found"]


def test_an_inactive_user_is_401_user_inactive(student):
    # given: deactivated behind the API's back (the API also revokes the tokens)
    access = issue_token_pair(student)["access"]
    User.objects.filter(pk=student.pk).update(is_active=False)

    # when
    response = _me(access)

    # then
    assert response.status_code == 401
    assert error_codes(response) == ["user_inactive"]


def test_a_revoked_token_is_401_token_revoked(student):
    # given
    access = issue_token_pair(student)["access"]
    revoke_all_tokens(user=student)

    # when
    response = _me(access)

    # then
    assert response.status_code == 401
    assert error_codes(response) == ["token_revoked"]


def test_a_token_without_a_uuid_user_is_401(student):
    # given: a token signed with our key whose user claim is not one of our ids
    token = AccessToken.for_user(student)
    token["user_id"] = "not-a-uuid"

    # when
    response = _me(str(token))

    # then
    assert response.status_code == 401
    assert error_codes(response) == ["user_not_found"]


def test_authentication_reads_no_user_row_when_warm(student, django_assert_num_queries):
    access = issue_token_pair(student)["access"]
    client = APIClient()
    client.credentials(**bearer(access))
    client.get(ME)  # caches the user row

    with django_assert_num_queries(0):  # the user row and /me's body both come from the cache
        assert client.get(ME).status_code == 200
