"""Responses to authenticated requests never land in a shared cache or on disk."""

from __future__ import annotations

import pytest

from lms.catalog.tests.factories import PublishedCourseFactory


@pytest.mark.parametrize(
    "url",
    ["/api/v1/auth/me/", "/api/v1/courses/", "/api/v1/cart/", "/api/v1/no-such-route/"],
)
def test_an_authenticated_response_is_private_and_not_stored(student_client, url):
    # given a public list, a private resource and an error, all asked with a token
    PublishedCourseFactory()

    # when
    response = student_client.get(url)

    # then
    assert response["Cache-Control"] == "private, no-store"


def test_a_refused_token_is_not_stored_either(anon_client, db):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = anon_client.get("/api/v1/courses/")

    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


def test_an_admin_session_response_is_private(client, admin_user):
    # the Django admin authenticates by session, not by token
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)

    response = client.get("/admin/")

    assert response["Cache-Control"] == "private, no-store"


def test_an_anonymous_public_response_keeps_its_own_caching(anon_client, db):
    response = anon_client.get("/api/v1/courses/")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
