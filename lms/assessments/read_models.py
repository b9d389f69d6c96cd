"""Assessments' typed read models: what its selectors hand to the API, rendered by one
serializer each (lms/assessments/api/serializers.py). Values, not response text: scores are
the stored `Decimal`s (the serializers document and render them as JSON numbers), dates are
datetimes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .models import Assignment, Attempt, Question, Quiz


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One question of a submitted attempt's review: what was answered, what it earned, and
    the right answer (`ReviewItemSerializer`)."""

    question_id: uuid.UUID
    points: int
    points_awarded: Decimal  # 0 when the question was not answered
    is_correct: bool
    choice_ids: tuple[str, ...]
    text: str
    correct_choice_ids: tuple[str, ...]
    accepted_answers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuizDetail:
    """A quiz with its totals as one caller sees it (`QuizDetailSerializer`)."""

    id: uuid.UUID
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    title: str
    pass_percent: int
    max_attempts: int | None
    time_limit_minutes: int | None
    shuffle: bool
    show_correct_answers: str
    question_count: int
    max_score: int
    questions: tuple[Question, ...] | None  # with their answers; None: not the caller's to see
    attempts_used: int | None  # the caller's own attempts; None: not a student (left out)
    attempts_left: int | None  # None: unlimited (or not a student)

    @classmethod
    def of(
        cls, quiz: Quiz, *, questions: list[Question], attempts_used: int | None, sees_answers: bool
    ) -> QuizDetail:
        """From a quiz (its lesson loaded) and its current questions: no query."""
        attempts_left = None
        if attempts_used is not None and quiz.max_attempts is not None:
            attempts_left = max(quiz.max_attempts - attempts_used, 0)
        return cls(
            id=quiz.pk,
            lesson_id=quiz.lesson_id,
            course_id=quiz.lesson.course_id,
            title=quiz.lesson.title,
            pass_percent=quiz.pass_percent,
            max_attempts=quiz.max_attempts,
            time_limit_minutes=quiz.time_limit_minutes,
            shuffle=quiz.shuffle,
            show_correct_answers=quiz.show_correct_answers,
            question_count=len(questions),
            max_score=sum(question.points for question in questions),
            questions=tuple(questions) if sees_answers else None,
            attempts_used=attempts_used,
            attempts_left=attempts_left,
        )


@dataclass(frozen=True, slots=True)
class AssignmentDetail:
    """An assignment with the caller's due date (`AssignmentDetailSerializer`)."""

    id: uuid.UUID
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    title: str
    instructions: str
    max_score: int
    pass_score: int
    allowed_file_types: tuple[str, ...]
    max_file_size_mb: int
    due_days: int | None
    due_at: datetime | None  # the enrolled student's own; None for everyone else

    @classmethod
    def of(cls, assignment: Assignment, *, due_at: datetime | None = None) -> AssignmentDetail:
        """From an assignment (its lesson loaded): no query."""
        return cls(
            id=assignment.pk,
            lesson_id=assignment.lesson_id,
            course_id=assignment.lesson.course_id,
            title=assignment.lesson.title,
            instructions=assignment.instructions,
            max_score=assignment.max_score,
            pass_score=assignment.pass_score,
            allowed_file_types=tuple(assignment.allowed_file_types),
            max_file_size_mb=assignment.max_file_size_mb,
            due_days=assignment.due_days,
            due_at=due_at,
        )


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """A submitted attempt's result and the student's enrollment after it: a pass may complete
    the course (`SubmitResultSerializer`)."""

    certificate_status: str | None  # "issued" (with certificate_id), "issuing" or None
    certificate_id: uuid.UUID | None
    attempt: Attempt  # submitted: its scores are set
    review: tuple[ReviewItem, ...] | None  # None: not shown by the quiz's settings
