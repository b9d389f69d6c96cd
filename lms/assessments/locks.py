"""Row locks of assessments, always taken in this order so two flows never deadlock.

1. `Attempt` (one row: the attempt being submitted) or `Submission` (one row: the
   submission being replaced or graded)
2. then learning's own locks (`Enrollment`), taken inside `learning.services.complete_lesson`

Assessments sits above learning, so its rows come first, as learning's `locks.py` asks.

A `Question` row (the question being edited) is locked on its own: editing a question never
locks an attempt, and submitting an attempt reads its questions without locking them.
"""

from __future__ import annotations

from typing import Any

from .models import Attempt, Question, Submission


def lock_attempt(attempt_id: Any) -> Attempt:
    """The attempt row, locked until the transaction ends (no-op lock on SQLite)."""
    return (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("quiz__lesson__course", "student")
        .get(pk=attempt_id)
    )


def lock_question(question_id: Any) -> Question:
    """The question row, locked so two edits of its choices run one after the other."""
    return Question.objects.select_for_update(of=("self",)).get(pk=question_id)


def lock_submission(submission_id: Any) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("assignment__lesson__course", "student")
        .get(pk=submission_id)
    )


def lock_submission_of(*, assignment_id: Any, student_id: Any) -> Submission | None:
    return (
        Submission.objects.select_for_update(of=("self",))
        .filter(assignment_id=assignment_id, student_id=student_id)
        .first()
    )
