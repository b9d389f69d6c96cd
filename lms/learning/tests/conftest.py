"""Learning test helpers: a published course with a small curriculum."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from lms.catalog.models import Course, Lesson, LessonType
from lms.catalog.tests.factories import (
    LessonFactory,
    PublishedCourseFactory,
    SectionFactory,
)


@dataclass
class Curriculum:
    course: Course
    lessons: list[Lesson] = field(default_factory=list)


def make_course(*, lessons: int = 4, sections: int = 2, **course_fields: Any) -> Curriculum:
    """A published free course with `sections` sections sharing `lessons` lessons in order."""
    course_fields.setdefault("price", Decimal("0.00"))
    course_fields.setdefault("is_free", True)
    course = PublishedCourseFactory(**course_fields)
    made = Curriculum(course=course)
    section_list = [SectionFactory(course=course, order=index) for index in range(sections)]
    for index in range(lessons):
        section = section_list[index * sections // max(lessons, 1)]
        made.lessons.append(
            LessonFactory(
                section=section,
                order=index,
                type=LessonType.VIDEO if index % 2 == 0 else LessonType.TEXT,
                duration_seconds=600,
            )
        )
    Course.objects.filter(pk=course.pk).update(lesson_count=lessons)
    course.refresh_from_db()
    return made


@pytest.fixture
def free_course(db: None) -> Curriculum:
    return make_course()
