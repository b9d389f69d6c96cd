"""Who counts as enrolled in a course: a registry filled by the learning app at start-up.

Catalog sits below learning, so it cannot ask for enrollments itself. Learning registers
one bulk checker in its `AppConfig.ready`:

    from lms.catalog import access
    access.register_enrollment_checker(enrolled_course_ids_for)

where `enrolled_course_ids_for(user, course_ids)` returns the subset of `course_ids` the
user is enrolled in, in ONE query. With nothing registered nobody is enrolled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from typing import Any

EnrollmentChecker = Callable[[Any, Collection[uuid.UUID]], set[uuid.UUID]]

_checker: EnrollmentChecker | None = None


def register_enrollment_checker(checker: EnrollmentChecker) -> None:
    """Install the function that answers enrollment questions (replaces any earlier one)."""
    global _checker
    _checker = checker


def unregister_enrollment_checker() -> None:
    """Forget the checker (tests)."""
    global _checker
    _checker = None


def enrolled_course_ids(user: Any, course_ids: Collection[Any]) -> set[uuid.UUID]:
    """The subset of `course_ids` the user is enrolled in; one query at most."""
    if _checker is None or not course_ids or not getattr(user, "is_authenticated", False):
        return set()
    ids = {value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for value in course_ids}
    return {uuid.UUID(str(value)) for value in _checker(user, ids)}


def is_enrolled(user: Any, course_id: Any) -> bool:
    """Whether the user is enrolled in the course."""
    return bool(enrolled_course_ids(user, [course_id]))


CompletionChecker = Callable[[Any, uuid.UUID], set[uuid.UUID]]

_completion_checker: CompletionChecker | None = None


def register_completion_checker(checker: CompletionChecker) -> None:
    """Install `completed_lesson_ids(user, course_id) -> set of lesson ids` (learning)."""
    global _completion_checker
    _completion_checker = checker


def unregister_completion_checker() -> None:
    global _completion_checker
    _completion_checker = None


def completed_lesson_ids(user: Any, course_id: Any) -> set[uuid.UUID]:
    """Lessons of the course the user has completed; asked only for enrolled users."""
    if _completion_checker is None or not getattr(user, "is_authenticated", False):
        return set()
    return {uuid.UUID(str(value)) for value in _completion_checker(user, course_id)}
