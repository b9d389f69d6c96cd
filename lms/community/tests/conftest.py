"""Community test helpers: a published course with a lesson, its enrolled students, and the
invariant check after every test (lms/community/testing.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lms.accounts.tests.factories import UserFactory
from lms.catalog.models import Course, Lesson
from lms.catalog.tests.factories import LessonFactory, PublishedCourseFactory, SectionFactory
from lms.community.testing import assert_community_consistent
from lms.learning.tests.factories import EnrollmentFactory


@pytest.fixture(autouse=True)
def _community_consistent(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touched the database leaves every counter equal to what it counts."""
    yield
    uses_db = {"db", "transactional_db", "django_db_setup"} & set(request.fixturenames)
    if uses_db or request.node.get_closest_marker("django_db"):
        assert_community_consistent()


@dataclass
class CourseSetup:
    course: Course
    lesson: Lesson
    instructor: Any


@pytest.fixture
def course(instructor: Any) -> CourseSetup:
    published = PublishedCourseFactory(instructor=instructor)
    section = SectionFactory(course=published)
    lesson = LessonFactory(section=section, course=published)
    return CourseSetup(course=published, lesson=lesson, instructor=instructor)


@pytest.fixture
def enrolled(course: CourseSetup) -> Callable[..., Any]:
    """`enrolled()`: a new student enrolled in the course (or `enrolled(user)`)."""

    def make(user: Any = None) -> Any:
        user = user or UserFactory()
        EnrollmentFactory(student=user, course=course.course)
        return user

    return make
