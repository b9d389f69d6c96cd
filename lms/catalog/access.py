"""Who counts as enrolled in a course, and which lessons they completed: asked of the apps
above catalog through two registries (lms.core.registry), which learning fills at start-up:

    access.enrollment_checkers.register("learning", selectors.enrolled_course_ids_for)
    access.completion_checkers.register("learning", selectors.completed_lesson_ids_for)

`enrolled_course_ids_for(user, course_ids)` returns the subset of `course_ids` the user is
enrolled in, in ONE query; `completed_lesson_ids_for(user, course_id)` the completed lessons.
Every registered checker is asked and the answers are joined; with none, nobody is enrolled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from typing import Any

from lms.core.registry import Registry

EnrollmentChecker = Callable[[Any, Collection[uuid.UUID]], set[uuid.UUID]]
CompletionChecker = Callable[[Any, uuid.UUID], set[uuid.UUID]]

enrollment_checkers: Registry[EnrollmentChecker] = Registry("catalog.enrollment_checkers")
completion_checkers: Registry[CompletionChecker] = Registry("catalog.completion_checkers")


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def enrolled_course_ids(user: Any, course_ids: Collection[Any]) -> set[uuid.UUID]:
    """The subset of `course_ids` the user is enrolled in; one query per registered checker."""
    if not course_ids or not getattr(user, "is_authenticated", False):
        return set()
    ids = {_uuid(value) for value in course_ids}
    return {_uuid(value) for checker in enrollment_checkers for value in checker(user, ids)}


def is_enrolled(user: Any, course_id: Any) -> bool:
    """Whether the user is enrolled in the course."""
    return bool(enrolled_course_ids(user, [course_id]))


def completed_lesson_ids(user: Any, course_id: Any) -> set[uuid.UUID]:
    """Lessons of the course the user has completed; asked only for enrolled users."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {_uuid(value) for checker in completion_checkers for value in checker(user, course_id)}
