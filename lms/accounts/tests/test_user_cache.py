"""The cached user row behind authentication: warm requests read no user row, and every
write of the user is visible on the very next request."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings

from lms.accounts import services, user_cache
from lms.accounts.models import Role, User
from lms.accounts.tests.factories import PASSWORD, UserFactory
from lms.accounts.tests.helpers import bearer
from lms.accounts.tokens import issue_token_pair, revoke_all_tokens
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(issue_token_pair(user)["access"]))
    return client


def _warm(client: APIClient) -> None:
    assert client.get(ME).status_code == 200


def test_a_warm_me_runs_no_query(student, django_assert_num_queries):
    # given
    client = _client(student)
    with django_assert_num_queries(2):  # cold: the user row, then /me's user with profiles
        _warm(client)

    # when / then: warm, the user and /me's body come from the cache
    with django_assert_num_queries(0):
        assert client.get(ME).json()["id"] == str(student.pk)


def test_a_profile_change_is_seen_by_the_next_request(student):
    # given
    client = _client(student)
    _warm(client)

    # when
    response = client.patch(ME, {"profile": {"bio": "Learning Django"}}, format="json")

    # then
    assert response.status_code == 200
    assert client.get(ME).json()["profile"]["bio"] == "Learning Django"


def test_a_profile_saved_outside_the_services_is_seen_by_the_next_request(student):
    # given: the Django admin saves the profile model
    client = _client(student)
    _warm(client)

    # when
    profile = student.student_profile
    profile.education = "MSc"
    profile.save()

    # then
    assert client.get(ME).json()["profile"]["education"] == "MSc"


def test_me_is_kept_per_host(student):
    # given: an avatar, whose URL is absolute for the host that asked
    student.avatar = "avatars/me.webp"
    student.save()
    client = _client(student)
    _warm(client)

    # when
    other_host = client.get(ME, HTTP_HOST="testserver:8123").json()

    # then
    assert other_host["avatar"] == "http://testserver:8123/media/avatars/me.webp"
    assert client.get(ME).json()["avatar"] == "http://testserver/media/avatars/me.webp"


def test_each_user_has_their_own_key(student, other_student):
    mine, theirs = _client(student), _client(other_student)
    _warm(mine)
    _warm(theirs)

    assert mine.get(ME).json()["id"] == str(student.pk)
    assert theirs.get(ME).json()["id"] == str(other_student.pk)


def test_the_password_hash_is_not_cached(student):
    # given
    _warm(_client(student))

    # when
    row_key, _ = user_cache._keys(student.pk)
    _, cached = cache.get(row_key)

    # then
    assert "password" not in cached.__dict__
    assert cached.get_deferred_fields() == {"password"}


def test_a_role_change_is_seen_by_the_next_request(student, admin_client_api):
    # given
    client = _client(student)
    _warm(client)

    # when
    response = admin_client_api.patch(f"/api/v1/users/{student.pk}/", {"role": Role.INSTRUCTOR})

    # then: the old token is refused at once (a role change signs the user out), and a new
    # sign-in sees the new role, not a cached one
    assert response.status_code == 200
    assert client.get(ME).status_code == 401
    student.refresh_from_db()
    assert _client(student).get(ME).json()["role"] == Role.INSTRUCTOR


def test_a_deactivation_is_seen_by_the_next_request(student, admin_client_api):
    # given
    client = _client(student)
    _warm(client)

    # when
    admin_client_api.patch(f"/api/v1/users/{student.pk}/", {"is_active": False})

    # then
    response = client.get(ME)
    assert response.status_code == 401
    assert error_codes(response) == ["user_inactive"]


def test_a_deactivation_through_the_model_is_seen_by_the_next_request(student):
    # given: the Django admin saves the model; no service involved
    client = _client(student)
    _warm(client)

    # when
    student.is_active = False
    student.save()

    # then
    assert error_codes(client.get(ME)) == ["user_inactive"]


def test_a_password_change_is_seen_by_the_next_request(student):
    # given
    client = _client(student)
    _warm(client)

    # when
    response = client.post(
        "/api/v1/auth/change-password/",
        {"old_password": PASSWORD, "new_password": "another-long-pass-2026"},
    )

    # then: the cached user had no password hash; the check loaded it; the old token is dead
    assert response.status_code == 200
    assert error_codes(client.get(ME)) == ["token_revoked"]


def test_revoking_every_token_is_seen_by_the_next_request(student):
    # given
    client = _client(student)
    _warm(client)

    # when: a queryset update, which User.save() does not see
    revoke_all_tokens(user=student)

    # then
    assert error_codes(client.get(ME)) == ["token_revoked"]


def test_a_name_change_is_seen_by_the_next_request(student):
    # given
    client = _client(student)
    _warm(client)

    # when
    services.update_me(user=student, fields={"first_name": "Ada"}, profile_fields={})

    # then: /me reads its own row, and request.user (the cached row) is fresh too
    assert client.get(ME).json()["first_name"] == "Ada"
    assert user_cache.cached_user(str(student.pk)).first_name == "Ada"


def test_a_deleted_user_is_refused_by_the_next_request():
    # given
    user = UserFactory()
    client = _client(user)
    _warm(client)

    # when: a queryset delete, not Model.delete()
    User.objects.filter(pk=user.pk).delete()

    # then
    assert error_codes(client.get(ME)) == ["user_not_found"]


def test_a_row_read_before_a_write_is_not_served_after_it(student):
    # given: a request misses the cache and reads the row...
    row_key, generation_key = user_cache._keys(student.pk)
    stale = User.objects.get(pk=student.pk)
    generation_then = cache.get(generation_key)

    # when: ...a write lands, and only then does the slow request store what it read
    student.role = Role.MANAGER
    student.save()
    cache.set(row_key, (generation_then, stale))

    # then
    assert user_cache.cached_user(str(student.pk)).role == Role.MANAGER


def test_simplejwts_password_change_check_still_runs(student, monkeypatch):
    # given: simplejwt's optional check on; the token carries a hash of the password
    monkeypatch.setattr(api_settings, "CHECK_REVOKE_TOKEN", True)
    client = _client(student)
    _warm(client)

    # when: the password changes behind the services' back (no revocation stamp)
    student.set_password("another-long-pass-2026")
    student.save()

    # then
    response = client.get(ME)
    assert response.status_code == 401
    assert error_codes(response) == ["password_changed"]
