"""A nameless instructor has one name everywhere it is shown (the rule: accounts.names)."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import InstructorFactory
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.learning import services
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db

NAME = "nameless.teacher"


@pytest.fixture
def nameless():
    return InstructorFactory(first_name="", last_name="", email=f"{NAME}@example.com")


def test_a_nameless_instructor_has_one_name_everywhere(
    nameless, student, student_client, anon_client
):
    # given: a course of theirs the student studies, one they co-teach, one to recommend
    studied = make_course(instructor=nameless).course
    services.enroll(student=student, course=studied, source="free")
    co_taught = PublishedCourseFactory()
    co_taught.co_instructors.add(nameless)
    recommended = PublishedCourseFactory(instructor=nameless, enrollment_count=10)

    # when
    listed = anon_client.get("/api/v1/courses/").json()["results"]
    detail = anon_client.get(f"/api/v1/courses/{studied.slug}/").json()
    co_detail = anon_client.get(f"/api/v1/courses/{co_taught.slug}/").json()
    recommendations = student_client.get("/api/v1/dashboard/recommendations/").json()["results"]
    enrollments = student_client.get("/api/v1/enrollments/").json()["results"]
    instructors = anon_client.get("/api/v1/instructors/").json()["results"]

    # then
    names = {
        "list": {c["instructor"]["name"] for c in listed if c["id"] != str(co_taught.pk)},
        "detail": {detail["instructor"]["name"]},
        "co-instructor": {p["name"] for p in co_detail["co_instructors"]},
        "recommendations": {
            c["instructor"]["name"] for c in recommendations if c["id"] == str(recommended.pk)
        },
        "enrollments": {e["course"]["instructor"]["name"] for e in enrollments},
        "instructors": {i["name"] for i in instructors if i["id"] == str(nameless.pk)},
    }
    assert names == {where: {NAME} for where in names}
    assert nameless.full_name == NAME


def test_the_completion_answer_names_the_instructor_as_the_enrollment_list_does(
    nameless, student, student_client
):
    # given
    made = make_course(instructor=nameless)
    enrollment = services.enroll(student=student, course=made.course, source="free")

    # when
    response = student_client.post(
        f"/api/v1/enrollments/{enrollment.pk}/mark-lesson-complete/",
        {"lesson_id": str(made.lessons[0].pk)},
    )

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    enrollment_body = body.get("enrollment", body)
    assert enrollment_body["course"]["instructor"]["name"] == NAME
