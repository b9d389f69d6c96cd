"""Every cached per-user read shows a write on the very next read, and only to its user.

Cached paths: the signed-in user's row and `GET /auth/me/` (lms.accounts.user_cache), the
unread-notification count (lms.core.per_user_cache). The catalog's shared response cache
has its own tests (lms/catalog/tests/test_response_cache.py).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from lms.core import invalidation, per_user_cache
from lms.notifications import selectors
from lms.notifications.services import notify

pytestmark = pytest.mark.django_db

UNREAD = "/api/v1/notifications/unread-count/"


def unread(client) -> int:
    response = client.get(UNREAD)
    assert response.status_code == 200, response.content
    return int(response.json()["count"])


def test_unread_count_is_served_from_the_cache_until_a_write(
    student, student_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # given: a first read fills the cache (the user row and the count)
    assert unread(student_client) == 0

    # then: the next read runs no query at all
    with django_assert_num_queries(0):
        assert unread(student_client) == 0

    # when: a notification is created, the next read shows it
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=student, category="account", title="One", email=False)
    assert unread(student_client) == 1

    # when: it is read through the API, the next read shows that
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(f"/api/v1/notifications/{notification.pk}/read/")
    assert response.status_code == 200
    assert unread(student_client) == 0

    # when: two more arrive and all are marked read
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=student, category="account", title="Two", email=False)
        notify(user=student, category="account", title="Three", email=False)
    assert unread(student_client) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post("/api/v1/notifications/read-all/")
    assert response.status_code in (200, 204)
    assert unread(student_client) == 0


def test_one_users_count_is_never_anothers(
    student, other_student, student_client, client_for, django_capture_on_commit_callbacks
):
    other_client = client_for(other_student)
    assert (unread(student_client), unread(other_client)) == (0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        notify(user=student, category="account", title="Only yours", email=False)

    assert (unread(student_client), unread(other_client)) == (1, 0)
    key, _ = per_user_cache._keys(selectors.UNREAD_COUNT, student.pk)
    assert str(student.pk) in key
    assert str(other_student.pk) not in key


def test_a_read_racing_a_write_never_keeps_the_old_answer(student):
    # given: a count kept before the write
    assert selectors.unread_count(user_id=student.pk) == 0

    # when: inside the writing transaction, another request reads (it sees the old row set
    # in production; here it sees 1, which is also what must not outlive the commit)
    with transaction.atomic():
        notify(user=student, category="account", title="Racing", email=False)
        per_user_cache.cached(
            name=selectors.UNREAD_COUNT, user_id=student.pk, build=lambda: 0
        )  # an answer built from the state before the commit
    # the commit's raise (the test database's transaction never commits)
    generation_key = per_user_cache._keys(selectors.UNREAD_COUNT, student.pk)[1]
    invalidation.raise_counter(cache, generation_key, per_user_cache.GENERATION_SECONDS)

    # then: that answer is under a retired generation; the next read builds again
    assert selectors.unread_count(user_id=student.pk) == 1


def test_a_profile_change_shows_on_the_next_me(student_client):
    before = student_client.get("/api/v1/auth/me/").json()
    response = student_client.patch("/api/v1/auth/me/", {"first_name": "Renamed"}, format="json")
    assert response.status_code == 200, response.content
    after = student_client.get("/api/v1/auth/me/").json()
    assert before["first_name"] != "Renamed"
    assert after["first_name"] == "Renamed"


def test_without_the_cache_every_read_is_built(student, student_client):
    # an evicted or restarted cache only costs a query
    assert unread(student_client) == 0
    cache.delete_many(list(per_user_cache._keys(selectors.UNREAD_COUNT, student.pk)))
    assert unread(student_client) == 0
