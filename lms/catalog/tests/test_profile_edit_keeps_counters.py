"""An instructor editing their profile writes only the edited columns: the denormalised
figures beside them (course_count, student_count, review_count, rating) are the catalog's and
learning's, and a stale copy must never be written back over a concurrent recount."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.accounts.models import InstructorProfile

pytestmark = pytest.mark.django_db


def test_a_profile_edit_does_not_write_the_counters(instructor, instructor_client):
    InstructorProfile.objects.filter(user=instructor).update(course_count=4, student_count=9)
    with CaptureQueriesContext(connection) as queries:
        response = instructor_client.patch(
            "/api/v1/auth/me/", {"profile": {"headline": "Compilers, kindly"}}, format="json"
        )
    assert response.status_code == 200, response.json()
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    profile_writes = [sql for sql in writes if "accounts_instructorprofile" in sql]
    assert profile_writes
    assert not any("course_count" in sql or "student_count" in sql for sql in profile_writes)
    profile = InstructorProfile.objects.get(user=instructor)
    assert (profile.headline, profile.course_count, profile.student_count) == (
        "Compilers, kindly",
        4,
        9,
    )
