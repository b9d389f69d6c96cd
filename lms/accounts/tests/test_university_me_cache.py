"""A university edited in the admin shows at once in its members' cached `GET /auth/me/`
(issue 16, item 2b): `save_university` raises each affiliated user's generation, and no one
else's (lms.accounts.universities, lms.accounts.user_cache.flush_cached_users)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from lms.accounts import universities
from lms.accounts.models import University
from lms.accounts.tests.factories import UserFactory
from lms.core import invalidation

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"


@pytest.fixture
def mit(db: None) -> University:
    return University.objects.create(name="MIT", country="US", domains=["mit.edu"])


def _member(university: University, email: str) -> Any:
    user = UserFactory(email=email, email_verified_at=timezone.now())
    universities.set_affiliation(user=user, university_id=university.pk)
    return user


def test_an_admin_edit_of_a_university_shows_in_its_members_me(
    admin_user, client_for, mit, django_capture_on_commit_callbacks
):
    member = _member(mit, "ada@mit.edu")
    outsider = UserFactory(email="bob@example.com")
    member_client, outsider_client = client_for(member), client_for(outsider)
    before = member_client.get(ME).json()
    assert (before["university"]["name"], before["university_verified"]) == ("MIT", True)
    outsider_before = outsider_client.get(ME).json()  # cached too

    admin = Client()
    admin.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/admin/accounts/university/{mit.pk}/change/",
            {
                "name": "Massachusetts Institute of Technology",
                "country": "US",
                "domains": '["other.edu"]',
            },
        )
    assert response.status_code == 302, response.content[:2000]

    after = member_client.get(ME).json()
    assert after["university"]["name"] == "Massachusetts Institute of Technology"
    assert after["university_verified"] is False  # its domains no longer hold her address
    assert outsider_client.get(ME).json() == outsider_before


def test_save_university_raises_one_generation_per_member(mit, monkeypatch):
    members = [_member(mit, f"user{n}@mit.edu") for n in range(3)]
    UserFactory(email="bob@example.com")  # not a member
    retired: list[list[str]] = []
    monkeypatch.setattr(invalidation, "retire", lambda keys, **kwargs: retired.append(list(keys)))

    mit.name = "MIT (renamed)"
    universities.save_university(university=mit)

    # one batch for the members (the catalog's version is raised too: `?university=` lists)
    [keys] = [batch for batch in retired if batch[0].startswith("accounts:")]
    assert sorted(keys) == sorted(f"accounts:user-generation:{user.pk}" for user in members)


@pytest.mark.parametrize("how", ["delete view", "bulk action"])
def test_a_university_deleted_in_the_admin_leaves_its_members_me(
    admin_user, client_for, mit, django_capture_on_commit_callbacks, how
):
    member = _member(mit, "ada@mit.edu")
    member_client = client_for(member)
    assert member_client.get(ME).json()["university"]["name"] == "MIT"  # cached now

    admin = Client()
    admin.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        if how == "delete view":
            response = admin.post(f"/admin/accounts/university/{mit.pk}/delete/", {"post": "yes"})
        else:
            response = admin.post(
                "/admin/accounts/university/",
                {"action": "delete_selected", "_selected_action": [str(mit.pk)], "post": "yes"},
            )
    assert response.status_code == 302

    after = member_client.get(ME).json()
    assert after["university"] is None
    assert after["university_verified"] is False
    assert not University.objects.filter(pk=mit.pk).exists()
