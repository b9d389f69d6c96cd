from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.catalog.models import CourseStatus
from lms.learning import services
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db


def students_url(course) -> str:
    return f"/api/v1/courses/{course.slug}/students/"


@pytest.fixture
def taught(student):
    made = make_course(lessons=4)
    enrollment = services.enroll(student=student, course=made.course, source="free")
    services.complete_lesson(enrollment=enrollment, lesson=made.lessons[0])
    return made


def test_instructor_sees_students_with_progress_and_last_activity(client_for, student, taught):
    response = client_for(taught.course.instructor).get(students_url(taught.course))

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["student"]["id"] == str(student.pk)
    assert row["student"]["email"] == student.email
    assert row["progress_percent"] == 25
    assert row["lessons_completed"] == 1
    assert row["last_activity_at"] is not None
    assert row["last_lesson"]["id"] == str(taught.lessons[0].pk)


def test_co_instructors_and_staff_see_it_too(client_for, taught, manager, admin_user):
    co_instructor = InstructorFactory()
    taught.course.co_instructors.add(co_instructor)
    for viewer in (co_instructor, manager, admin_user):
        assert client_for(viewer).get(students_url(taught.course)).status_code == 200


def test_others_may_not(client_for, student, taught, anon_client):
    assert anon_client.get(students_url(taught.course)).status_code == 401
    assert client_for(student).get(students_url(taught.course)).status_code == 403
    assert client_for(InstructorFactory()).get(students_url(taught.course)).status_code == 403
    draft = make_course(status=CourseStatus.DRAFT).course
    assert client_for(InstructorFactory()).get(students_url(draft)).status_code == 404


def test_filter_by_status_and_bad_filter(client_for, taught):
    other = UserFactory()
    revoked = services.enroll(student=other, course=taught.course, source="free")
    services.revoke_enrollment(enrollment=revoked, reason="refund")
    client = client_for(taught.course.instructor)

    revoked_rows = client.get(students_url(taught.course), {"status": "revoked"}).json()
    assert [row["student"]["id"] for row in revoked_rows["results"]] == [str(other.pk)]
    response = client.get(students_url(taught.course), {"status": "sleeping"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"


def test_students_list_runs_in_constant_queries(client_for, taught):
    client = client_for(taught.course.instructor)
    client.get(students_url(taught.course))  # the user row is cached from here on
    with CaptureQueriesContext(connection) as few:
        client.get(students_url(taught.course))
    for _ in range(10):
        enrollment = services.enroll(student=UserFactory(), course=taught.course, source="free")
        services.complete_lesson(enrollment=enrollment, lesson=taught.lessons[1])
    with CaptureQueriesContext(connection) as many:
        response = client.get(students_url(taught.course))
    assert response.json()["count"] == 11
    assert len(many) == len(few)
