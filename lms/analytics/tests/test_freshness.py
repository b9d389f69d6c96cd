"""A write is in the figures on the next read, with the answer cache on (issue 16, item 2).

A student's own figures are not cached; an instructor's are keyed by the catalog's version,
so a course they create is counted at once. Other people's activity reaches an instructor's
cached figures within ANALYTICS_CACHE_SECONDS (lms/analytics/cache.py says why).
"""

from __future__ import annotations

import pytest

from lms.catalog.tests.factories import CategoryFactory
from lms.learning import services as learning
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db

STUDENT_URL = "/api/v1/analytics/student/"
INSTRUCTOR_URL = "/api/v1/analytics/instructor/"


@pytest.fixture(autouse=True)
def _answer_cache_on(settings):
    settings.ANALYTICS_CACHE_SECONDS = 60


def test_a_lesson_just_completed_is_in_the_students_next_figures(client_for, student):
    course = make_course(lessons=4)
    enrollment = learning.enroll(student=student, course=course.course, source="free")
    client = client_for(student)
    before = client.get(STUDENT_URL).json()["courses"]
    assert [row["completed_lessons"] for row in before] == [0]

    completed = client.post(
        f"/api/v1/enrollments/{enrollment.pk}/mark-lesson-complete/",
        {"lesson_id": str(course.lessons[0].pk)},
    )
    assert completed.status_code == 200

    after = client.get(STUDENT_URL).json()["courses"]
    assert [(row["completed_lessons"], row["progress_percent"]) for row in after] == [(1, 25)]


def test_a_course_just_created_is_in_the_instructors_next_figures(
    client_for, instructor, django_capture_on_commit_callbacks
):
    client = client_for(instructor)
    assert client.get(INSTRUCTOR_URL).json()["total_courses"] == 0
    assert client.get(INSTRUCTOR_URL).json()["total_courses"] == 0  # answered from the cache

    with django_capture_on_commit_callbacks(execute=True):  # the catalog's bump, at commit
        created = client.post(
            "/api/v1/courses/",
            {
                "title": "Practical Rust",
                "description": "Ownership and borrowing.",
                "category": str(CategoryFactory().pk),
                "level": "Beginner",
                "price": "19.99",
                "currency": "EUR",
            },
            format="json",
        )
    assert created.status_code == 201, created.json()

    assert client.get(INSTRUCTOR_URL).json()["total_courses"] == 1
