"""Assessments' part of a person's export and deletion (lms.accounts.personal_data).

Export: quiz attempts with answers and scores; assignment submissions with their files.
Erase: the words and files a student submitted (answers' text, submissions' text and
files) go; scores, grades and dates stay (course statistics), tied to the placeholder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lms.accounts.deletion import delete_files_after_commit
from lms.accounts.personal_data import ExportAttachment, ExportDocument, file_name
from lms.assessments.models import Attempt, AttemptAnswer, Submission


def export(user: Any) -> Iterator[ExportDocument | ExportAttachment]:
    attempts = list(
        Attempt.objects.filter(student=user).select_related("quiz").order_by("started_at")
    )
    answers: dict[Any, list[dict[str, Any]]] = {}
    for answer in AttemptAnswer.objects.filter(attempt__student=user).select_related("question"):
        answers.setdefault(answer.attempt_id, []).append(
            {
                "question": answer.question.text,
                "choice_ids": answer.choice_ids,
                "text": answer.text,
                "points_awarded": answer.points_awarded,
                "is_correct": answer.is_correct,
            }
        )
    yield ExportDocument(
        "assessments/quiz_attempts.json",
        [
            {
                "id": attempt.pk,
                "quiz_id": attempt.quiz_id,
                "number": attempt.number,
                "started_at": attempt.started_at,
                "submitted_at": attempt.submitted_at,
                "score": attempt.score,
                "max_score": attempt.max_score,
                "percent": attempt.percent,
                "passed": attempt.passed,
                "answers": answers.get(attempt.pk, []),
            }
            for attempt in attempts
        ],
    )
    submissions = list(Submission.objects.filter(student=user).order_by("submitted_at"))
    yield ExportDocument(
        "assessments/submissions.json",
        [
            {
                "id": submission.pk,
                "assignment_id": submission.assignment_id,
                "text": submission.text,
                "file": f"assessments/files/{submission.pk}/{file_name(submission.file)}"
                if submission.file
                else None,
                "revision": submission.revision,
                "submitted_at": submission.submitted_at,
                "is_late": submission.is_late,
                "status": submission.status,
                "score": submission.score,
                "feedback": submission.feedback,
                "passed": submission.passed,
                "graded_at": submission.graded_at,
            }
            for submission in submissions
        ],
    )
    for submission in submissions:
        if submission.file:
            yield ExportAttachment(
                f"assessments/files/{submission.pk}/{file_name(submission.file)}",
                submission.file,
            )


def erase(user: Any) -> None:
    AttemptAnswer.objects.filter(attempt__student=user).exclude(text="").update(text="")
    for submission in Submission.objects.filter(student=user).exclude(file=""):
        delete_files_after_commit(submission.file)
    Submission.objects.filter(student=user).update(text="", file="", file_content_type="")
