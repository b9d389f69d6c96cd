"""Races that only PostgreSQL shows: one attempt submitted twice at once, two starts at once."""

from __future__ import annotations

import pytest
from django.db import connection

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.assessments import services
from lms.assessments.models import Attempt, Submission
from lms.assessments.tests.factories import (
    assignment_in,
    correct_ids,
    free_course,
    quiz_in,
    single_choice,
)
from lms.core.errors import Conflict
from lms.core.testing import run_at_once
from lms.learning.models import ActivityEvent, ActivityKind
from lms.learning.services import enroll

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _setup():
    course = free_course(instructor=InstructorFactory())
    student = UserFactory()
    enroll(student=student, course=course, source="free")
    return course, student


@pytest.mark.django_db(transaction=True)
def test_one_attempt_submitted_twice_at_once_is_scored_once():
    # given an open attempt
    course, student = _setup()
    quiz = quiz_in(course)
    question = single_choice(quiz)
    attempt = services.start_attempt(quiz=quiz, student=student)
    answers = [{"question_id": question.pk, "choice_ids": correct_ids(question)}]

    # when the same answers arrive twice at the same instant
    outcomes = run_at_once(
        2, lambda _: services.submit_attempt(attempt=attempt, student=student, answers=answers)
    )

    # then one scores it and the other is told it was already submitted
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, Conflict)
    assert error.code == "attempt_already_submitted"
    assert attempt.answers.count() == 1
    assert ActivityEvent.objects.filter(user=student, kind=ActivityKind.QUIZ_SUBMITTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_make_one_attempt():
    course, student = _setup()
    quiz = quiz_in(course, max_attempts=1)
    single_choice(quiz)

    outcomes = run_at_once(2, lambda _: services.start_attempt(quiz=quiz, student=student))

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, Conflict)
    assert Attempt.objects.filter(quiz=quiz, student=student).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_first_submissions_at_once_make_one_submission():
    course, student = _setup()
    assignment = assignment_in(course)
    from lms.learning.selectors import active_enrollment

    enrollment = active_enrollment(user=student, course_id=course.pk)

    outcomes = run_at_once(
        2,
        lambda index: services.submit_assignment(
            assignment=assignment, student=student, enrollment=enrollment, text=f"take {index}"
        ),
    )

    assert Submission.objects.filter(assignment=assignment, student=student).count() == 1
    for kind, value in outcomes:
        if kind == "error":
            assert isinstance(value, Conflict), value
            assert value.code == "submission_conflict"
