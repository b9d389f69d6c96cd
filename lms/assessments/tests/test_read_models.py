"""Assessments' read models (lms/assessments/read_models.py, `selectors.AttemptView`) render
through their one serializer each, every field accounted for, and each answer is that
rendering (lms.core.tests.read_models; learning's and commerce's tests are the model)."""

from __future__ import annotations

import pytest

from lms.assessments import read_models as rm
from lms.assessments import selectors
from lms.assessments.api import serializers as s
from lms.assessments.models import Attempt
from lms.assessments.services import due_at
from lms.assessments.tests.factories import (
    assignment_in,
    correct_ids,
    multiple_choice,
    quiz_in,
    short_text,
    single_choice,
)
from lms.core.tests.read_models import assert_documented_as_rendered, assert_renders_exactly
from lms.learning.models import Enrollment

pytestmark = pytest.mark.django_db

PAIRS = [
    (rm.QuizDetail, s.QuizDetailSerializer),
    (rm.ReviewItem, s.ReviewItemSerializer),
    (rm.AssignmentDetail, s.AssignmentDetailSerializer),
    (selectors.AttemptView, s.AttemptSerializer),
    (rm.SubmitResult, s.SubmitResultSerializer),
]


@pytest.mark.parametrize(("model", "serializer"), PAIRS, ids=[m.__name__ for m, _ in PAIRS])
def test_every_field_of_the_read_model_is_rendered(model, serializer):
    assert_renders_exactly(model, serializer)


def test_the_quiz_answers_are_its_read_models_rendering(
    document, course, instructor, enrolled_student, client_for
):
    # given: a quiz with two questions, unlimited attempts
    quiz = quiz_in(course, max_attempts=None)
    single_choice(quiz)
    short_text(quiz)
    url = f"/api/v1/quizzes/{quiz.pk}/"

    # when
    authored = client_for(instructor).get(url).json()
    studied = client_for(enrolled_student).get(url).json()

    # then: authors get the questions and no attempts, students the reverse (left out, not null)
    questions = list(selectors.questions_of(quiz=quiz))
    as_author = rm.QuizDetail.of(quiz, questions=questions, attempts_used=None, sees_answers=True)
    as_student = rm.QuizDetail.of(quiz, questions=questions, attempts_used=0, sees_answers=False)
    assert authored == s.QuizDetailSerializer(as_author).data
    assert studied == s.QuizDetailSerializer(as_student).data
    assert "questions" in authored
    assert "attempts_used" not in authored
    assert "questions" not in studied
    assert (studied["attempts_used"], studied["attempts_left"]) == (0, None)
    assert authored["max_score"] == studied["max_score"] == 5
    documented = {**authored, **studied}
    assert_documented_as_rendered(document, s.QuizDetailSerializer, documented, all_required=False)


def test_the_attempt_and_its_review_are_the_views_rendering(
    document, course, enrolled_student, client_for
):
    # given: a submitted attempt with partial credit, its review shown after submitting
    quiz = quiz_in(course, show_correct_answers="after_submit")
    single, multiple = single_choice(quiz), multiple_choice(quiz)
    client = client_for(enrolled_student)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["id"]
    answers = [
        {"question_id": str(single.pk), "choice_ids": correct_ids(single)},
        {"question_id": str(multiple.pk), "choice_ids": correct_ids(multiple)[:1]},
    ]
    submitted = client.post(
        f"/api/v1/attempts/{attempt_id}/submit/", {"answers": answers}, format="json"
    )
    assert submitted.status_code == 200, submitted.json()

    # when
    answered = client.get(f"/api/v1/attempts/{attempt_id}/").json()

    # then: the one serializer's rendering of the selector's view, scores as JSON numbers
    view = selectors.attempt_view(attempt=Attempt.objects.get(pk=attempt_id))
    assert answered == s.AttemptSerializer(view).data
    assert_documented_as_rendered(document, s.AttemptSerializer, answered)
    assert view.review is not None
    assert all(isinstance(item, rm.ReviewItem) for item in view.review)
    for item in answered["review"]:
        assert_documented_as_rendered(document, s.ReviewItemSerializer, item)
    awarded = [item["points_awarded"] for item in answered["review"]]
    assert all(type(points) is float for points in awarded)
    assert awarded[0] == 2.0
    assert 0 < awarded[1] < 4
    result = rm.SubmitResult(
        certificate_status=None, certificate_id=None, attempt=view.attempt, review=view.review
    )
    assert submitted.json() == s.SubmitResultSerializer(result).data
    assert_documented_as_rendered(document, s.SubmitResultSerializer, submitted.json())


def test_the_assignment_answer_is_its_read_models_rendering(
    document, course, instructor, enrolled_student, client_for
):
    # given: an assignment due a week after enrolling
    assignment = assignment_in(course, due_days=7)
    url = f"/api/v1/assignments/{assignment.pk}/"

    # when
    studied = client_for(enrolled_student).get(url).json()
    authored = client_for(instructor).get(url).json()

    # then: the student's own due date, null for the instructor
    enrollment = Enrollment.objects.get(student=enrolled_student, course=course)
    own = rm.AssignmentDetail.of(assignment, due_at=due_at(assignment, enrollment))
    assert studied == s.AssignmentDetailSerializer(own).data
    assert authored == s.AssignmentDetailSerializer(rm.AssignmentDetail.of(assignment)).data
    assert studied["due_at"] is not None
    assert authored["due_at"] is None
    assert_documented_as_rendered(document, s.AssignmentDetailSerializer, studied)
