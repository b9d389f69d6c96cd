"""The catalog's curriculum shows each lesson's completion through learning's checker."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.catalog.tests.factories import LessonFactory, SectionFactory
from lms.learning import services
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db


def curriculum(client, course) -> tuple[dict[str, bool], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/courses/{course.pk}/curriculum/")
    assert response.status_code == 200, response.json()
    flags = {
        lesson["id"]: lesson["is_completed"]
        for section in response.json()
        for lesson in section["lessons"]
    }
    return flags, len(queries)


def test_curriculum_marks_completed_lessons_in_constant_queries(student, student_client):
    made = make_course(lessons=4)
    enrollment = services.enroll(student=student, course=made.course, source="free")
    services.complete_lesson(enrollment=enrollment, lesson=made.lessons[1])
    curriculum(student_client, made.course)  # the user row is cached from here on

    flags, few = curriculum(student_client, made.course)

    assert flags == {str(lesson.pk): lesson == made.lessons[1] for lesson in made.lessons}

    for _ in range(5):
        section = SectionFactory(course=made.course)
        for _ in range(10):
            lesson = LessonFactory(section=section)
            services.complete_lesson(enrollment=enrollment, lesson=lesson)
    flags, many = curriculum(student_client, made.course)
    assert sum(flags.values()) == 51
    assert many == few


def test_revoked_student_sees_no_completion(student, student_client):
    made = make_course(lessons=2)
    enrollment = services.enroll(student=student, course=made.course, source="free")
    services.complete_lesson(enrollment=enrollment, lesson=made.lessons[0])
    services.revoke_enrollment(enrollment=enrollment, reason="refund")

    flags, _queries = curriculum(student_client, made.course)

    assert not any(flags.values())
