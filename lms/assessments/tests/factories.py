"""Builders for assessments tests: quiz and assignment lessons made the way catalog makes them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lms.assessments import services
from lms.assessments.models import Assignment, Question, QuestionType, Quiz
from lms.catalog.models import Course, Lesson, LessonType
from lms.catalog.tests.factories import LessonFactory, PublishedCourseFactory, SectionFactory


def free_course(**fields: Any) -> Course:
    fields.setdefault("price", Decimal("0.00"))
    fields.setdefault("is_free", True)
    return PublishedCourseFactory(**fields)


def lesson_of(course: Course, *, type: str, **fields: Any) -> Lesson:
    """A lesson given its quiz/assignment by the hook, as `catalog.services.create_lesson` does."""
    section = SectionFactory(course=course)
    lesson = LessonFactory(section=section, type=type, duration_seconds=0, **fields)
    services.ensure_lesson_assessment(lesson)
    return lesson


def quiz_in(course: Course, **settings: Any) -> Quiz:
    lesson = lesson_of(course, type=LessonType.QUIZ)
    quiz = Quiz.objects.get(pk=lesson.pk)
    if settings:
        Quiz.objects.filter(pk=quiz.pk).update(**settings)
        quiz.refresh_from_db()
    return quiz


def assignment_in(course: Course, **settings: Any) -> Assignment:
    lesson = lesson_of(course, type=LessonType.ASSIGNMENT)
    assignment = Assignment.objects.get(pk=lesson.pk)
    if settings:
        Assignment.objects.filter(pk=assignment.pk).update(**settings)
        assignment.refresh_from_db()
    return assignment


def single_choice(quiz: Quiz, *, points: int = 2, text: str = "2 + 2 = ?") -> Question:
    return services.add_question(
        quiz=quiz,
        by=quiz.lesson.course.instructor,
        type=QuestionType.SINGLE_CHOICE,
        text=text,
        points=points,
        choices=[
            {"text": "3", "is_correct": False},
            {"text": "4", "is_correct": True},
            {"text": "5", "is_correct": False},
        ],
    )


def multiple_choice(quiz: Quiz, *, points: int = 4) -> Question:
    return services.add_question(
        quiz=quiz,
        by=quiz.lesson.course.instructor,
        type=QuestionType.MULTIPLE_CHOICE,
        text="Which are primes?",
        points=points,
        choices=[
            {"text": "2", "is_correct": True},
            {"text": "3", "is_correct": True},
            {"text": "4", "is_correct": False},
            {"text": "9", "is_correct": False},
        ],
    )


def true_false(quiz: Quiz, *, points: int = 1) -> Question:
    return services.add_question(
        quiz=quiz,
        by=quiz.lesson.course.instructor,
        type=QuestionType.TRUE_FALSE,
        text="The earth is flat.",
        points=points,
        choices=[{"text": "True", "is_correct": False}, {"text": "False", "is_correct": True}],
    )


def short_text(quiz: Quiz, *, points: int = 3) -> Question:
    return services.add_question(
        quiz=quiz,
        by=quiz.lesson.course.instructor,
        type=QuestionType.SHORT_TEXT,
        text="Capital of the USA's biggest city state?",
        points=points,
        accepted_answers=["New York", "NYC"],
    )


def correct_ids(question: Question) -> list[str]:
    return [str(choice.pk) for choice in question.choices.all() if choice.is_correct]


def wrong_ids(question: Question) -> list[str]:
    return [str(choice.pk) for choice in question.choices.all() if not choice.is_correct]
