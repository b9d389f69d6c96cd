"""Row locks of learning, always taken in this order so two flows never deadlock.

1. `Enrollment` (one row, the student's enrollment in a course; several rows of one student
   in primary-key order, in one statement: `lock_enrollments`)
2. `LessonProgress` rows of that enrollment (created under the enrollment's lock)

Course counters are never locked: they move by F() expressions in the same transaction.
Callers above learning (commerce's fulfilment) lock their own rows first, then call
`services.enroll`, which takes lock 1 only.
"""

from __future__ import annotations

from collections.abc import Collection
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


def lock_own_enrollment(*, student_id: Any, enrollment_id: Any) -> Enrollment | None:
    """The student's enrollment row, found and locked in one query; None when it is not
    theirs (or is not an enrollment at all)."""
    # Not `.first()`: a primary key lookup needs no ORDER BY (nor the model's default one).
    found = list(
        Enrollment.objects.select_for_update()
        .filter(student_id=student_id, pk=enrollment_id)
        .order_by()
    )
    return found[0] if found else None


def lock_enrollments_of(*, student_id: Any, course_ids: list[Any]) -> dict[Any, Enrollment]:
    """The student's enrollments in these courses, locked in one query, by course id."""
    rows = Enrollment.objects.select_for_update(of=("self",)).filter(
        student_id=student_id, course_id__in=course_ids
    )
    return {row.course_id: row for row in rows.order_by("course_id")}


def lock_enrollments(*, student_id: Any, enrollment_ids: Collection[Any]) -> list[Enrollment]:
    """The student's enrollments among `enrollment_ids`, locked in primary-key order in one
    statement (two flows locking overlapping sets never wait on each other crosswise)."""
    return list(
        Enrollment.objects.select_for_update()
        .filter(student_id=student_id, pk__in=list(enrollment_ids))
        .order_by("pk")
    )
