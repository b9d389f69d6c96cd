"""Assessments fixtures: a free published course, a student enrolled through learning's service."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings

from lms.accounts.tests.factories import InstructorFactory
from lms.assessments.tests.factories import free_course
from lms.catalog.models import Course
from lms.learning.models import Enrollment
from lms.learning.services import enroll


@pytest.fixture(autouse=True)
def _clean_submission_files() -> Iterator[None]:
    """Remove this app's stored files only (other apps' tests may share MEDIA_ROOT)."""
    yield
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT / "assessments", ignore_errors=True)


@pytest.fixture
def course(instructor: Any) -> Course:
    return free_course(instructor=instructor)


@pytest.fixture
def enrolled() -> Callable[[Any, Course], Enrollment]:
    """`enrolled(user, course)`: enroll through the learning app's one way in."""

    def make(user: Any, course: Course) -> Enrollment:
        return enroll(student=user, course=course, source="free")

    return make


@pytest.fixture
def enrolled_student(student: Any, course: Course, enrolled: Any) -> Any:
    enrolled(student, course)
    return student


@pytest.fixture
def other_instructor(db: None) -> Any:
    return InstructorFactory()
