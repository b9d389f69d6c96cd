"""Row locks of learning, always taken in this order so two flows never deadlock.

1. `Enrollment` (one row, the student's enrollment in a course)
2. `LessonProgress` rows of that enrollment (created under the enrollment's lock)

Course counters are never locked: they move by F() expressions in the same transaction.
Callers above learning (commerce's fulfilment) lock their own rows first, then call
`services.enroll`, which takes lock 1 only.
"""

from __future__ import annotations

from typing import Any

from .models import Enrollment


def lock_enrollment(enrollment_id: Any) -> Enrollment:
    """The enrollment row, locked until the transaction ends (no-op lock on SQLite).

    Its course (with the instructor) and certificate come along unlocked, for the caller's
    answer.
    """
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("course", "course__instructor", "certificate")
        .get(pk=enrollment_id)
    )


def lock_enrollment_row(enrollment_id: Any) -> Enrollment:
    """The enrollment row alone, locked (for writes that answer from another read)."""
    return Enrollment.objects.select_for_update().get(pk=enrollment_id)


def lock_enrollment_of(*, student_id: Any, course_id: Any) -> Enrollment | None:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .filter(student_id=student_id, course_id=course_id)
        .first()
    )
