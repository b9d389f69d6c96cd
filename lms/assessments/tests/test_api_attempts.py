"""Quiz attempts through the API: start, shuffle, scoring, time limit, review, completion."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from lms.assessments.models import Attempt, AttemptAnswer, Quiz
from lms.assessments.services import SUBMIT_GRACE_SECONDS
from lms.assessments.tests.factories import (
    correct_ids,
    multiple_choice,
    quiz_in,
    short_text,
    single_choice,
    true_false,
    wrong_ids,
)
from lms.conftest import error_codes
from lms.learning.models import ActivityEvent, ActivityKind, Enrollment, LessonProgress
from lms.learning.services import revoke_enrollment

pytestmark = pytest.mark.django_db


def attempts_url(quiz: Quiz) -> str:
    return f"/api/v1/quizzes/{quiz.pk}/attempts/"


def submit_url(attempt_id: str) -> str:
    return f"/api/v1/attempts/{attempt_id}/submit/"


@pytest.fixture
def quiz(course):
    """Four questions worth 2 + 4 + 1 + 3 = 10 points; pass at 70%."""
    made = quiz_in(course, pass_percent=70, max_attempts=3)
    made.q_single = single_choice(made)
    made.q_multiple = multiple_choice(made)
    made.q_true_false = true_false(made)
    made.q_text = short_text(made)
    return made


def all_right(quiz) -> list[dict]:
    return [
        {"question_id": str(quiz.q_single.pk), "choice_ids": correct_ids(quiz.q_single)},
        {"question_id": str(quiz.q_multiple.pk), "choice_ids": correct_ids(quiz.q_multiple)},
        {"question_id": str(quiz.q_true_false.pk), "choice_ids": correct_ids(quiz.q_true_false)},
        {"question_id": str(quiz.q_text.pk), "text": "  new   YORK "},
    ]


def start(client, quiz) -> dict:
    response = client.post(attempts_url(quiz))
    assert response.status_code == 201, response.json()
    return response.json()


# --- starting ----------------------------------------------------------------------------------


def test_start_returns_questions_without_answers(quiz, enrolled_student, client_for):
    response = client_for(enrolled_student).post(attempts_url(quiz))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["number"] == 1
    assert body["deadline"] is None
    assert body["score"] is None
    assert body["review"] is None
    assert {item["id"] for item in body["questions"]} == {
        str(quiz.q_single.pk),
        str(quiz.q_multiple.pk),
        str(quiz.q_true_false.pk),
        str(quiz.q_text.pk),
    }
    # No right answer anywhere in the payload, under any name.
    raw = json.dumps(body)
    assert "is_correct" not in raw
    assert "accepted_answers" not in raw
    assert "New York" not in raw
    for item in body["questions"]:
        assert set(item) == {"id", "type", "text", "points", "choices"}
        for choice in item["choices"]:
            assert set(choice) == {"id", "text"}


def test_attempt_detail_hides_answers_while_in_progress(quiz, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    response = client.get(f"/api/v1/attempts/{attempt['id']}/")
    assert response.status_code == 200
    assert response.json()["questions"] == attempt["questions"]
    assert "is_correct" not in response.content.decode()
    assert "accepted_answers" not in response.content.decode()


def test_time_limit_sets_the_deadline(quiz, enrolled_student, client_for):
    Quiz.objects.filter(pk=quiz.pk).update(time_limit_minutes=20)
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        body = start(client_for(enrolled_student), quiz)
    attempt = Attempt.objects.get(pk=body["id"])
    assert attempt.deadline == now + timedelta(minutes=20)
    assert body["deadline"] is not None


def test_without_shuffle_the_authoring_order_is_kept(quiz, enrolled_student, client_for):
    body = start(client_for(enrolled_student), quiz)
    assert [item["id"] for item in body["questions"]] == [
        str(quiz.q_single.pk),
        str(quiz.q_multiple.pk),
        str(quiz.q_true_false.pk),
        str(quiz.q_text.pk),
    ]
    assert [choice["text"] for choice in body["questions"][1]["choices"]] == ["2", "3", "4", "9"]


def test_shuffle_gives_each_attempt_its_own_stored_order(course, enrolled_student, client_for):
    # given a shuffled quiz with enough questions that two equal orders are implausible
    quiz = quiz_in(course, shuffle=True, max_attempts=None)
    questions = [single_choice(quiz, text=f"Question {n}") for n in range(8)]
    for _ in range(6):
        multiple_choice(quiz)
    client = client_for(enrolled_student)

    # when the student takes three attempts
    orders = []
    choice_orders = []
    for _ in range(3):
        body = start(client, quiz)
        orders.append([item["id"] for item in body["questions"]])
        choice_orders.append([[c["id"] for c in item["choices"]] for item in body["questions"]])
        # each attempt keeps its own order when read again
        again = client.get(f"/api/v1/attempts/{body['id']}/").json()
        assert [item["id"] for item in again["questions"]] == orders[-1]
        assert [[c["id"] for c in item["choices"]] for item in again["questions"]] == choice_orders[
            -1
        ]
        client.post(submit_url(body["id"]), {"answers": []})

    # then every order holds every question once, and the orders differ
    expected = {str(pk) for pk in quiz.questions.values_list("pk", flat=True)}
    assert all(sorted(order) == sorted(expected) for order in orders)
    assert len({tuple(order) for order in orders}) > 1
    authoring = [str(pk) for pk in quiz.questions.order_by("order").values_list("pk", flat=True)]
    assert authoring[:8] == [str(question.pk) for question in questions]
    assert any(order != authoring for order in orders)


def test_max_attempts_gives_409(quiz, enrolled_student, client_for):
    Quiz.objects.filter(pk=quiz.pk).update(max_attempts=2)
    client = client_for(enrolled_student)
    for _ in range(2):
        attempt = start(client, quiz)
        client.post(submit_url(attempt["id"]), {"answers": []})

    response = client.post(attempts_url(quiz))

    assert response.status_code == 409
    assert error_codes(response) == ["max_attempts_reached"]
    assert Attempt.objects.filter(quiz=quiz).count() == 2
    assert client.get(f"/api/v1/quizzes/{quiz.pk}/").json()["attempts_left"] == 0


def test_one_open_attempt_at_a_time(quiz, enrolled_student, client_for):
    client = client_for(enrolled_student)
    start(client, quiz)
    response = client.post(attempts_url(quiz))
    assert response.status_code == 409
    assert error_codes(response) == ["attempt_in_progress"]


def test_a_quiz_without_questions_cannot_be_started(course, enrolled_student, client_for):
    quiz = quiz_in(course)
    response = client_for(enrolled_student).post(attempts_url(quiz))
    assert response.status_code == 409
    assert error_codes(response) == ["quiz_has_no_questions"]


def test_starting_needs_an_enrollment(quiz, student, instructor, client_for):
    response = client_for(student).post(attempts_url(quiz))
    assert response.status_code == 403
    assert error_codes(response) == ["enrollment_required"]
    # the course's own instructor is not a student of it
    assert client_for(instructor).post(attempts_url(quiz)).status_code == 403


def test_starting_needs_authentication(quiz, anon_client):
    assert anon_client.post(attempts_url(quiz)).status_code == 401


def test_student_lists_own_attempts_only(
    quiz, course, enrolled_student, other_student, enrolled, client_for
):
    enrolled(other_student, course)
    start(client_for(other_student), quiz)
    mine = start(client_for(enrolled_student), quiz)
    response = client_for(enrolled_student).get(attempts_url(quiz))
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [mine["id"]]


# --- submitting --------------------------------------------------------------------------------


def test_all_right_scores_full_marks_and_completes_the_lesson(
    quiz, course, enrolled_student, client_for
):
    # given
    client = client_for(enrolled_student)
    attempt = start(client, quiz)

    # when
    response = client.post(submit_url(attempt["id"]), {"answers": all_right(quiz)})

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["score"] == 10.0
    assert body["max_score"] == 10.0
    assert body["percent"] == 100.0
    assert body["passed"] is True
    enrollment = Enrollment.objects.get(student=enrolled_student, course=course)
    assert LessonProgress.objects.filter(
        enrollment=enrollment, lesson=quiz.lesson, completed_at__isnull=False
    ).exists()
    assert ActivityEvent.objects.filter(
        user=enrolled_student, kind=ActivityKind.QUIZ_SUBMITTED, lesson=quiz.lesson
    ).exists()
    assert AttemptAnswer.objects.filter(attempt_id=attempt["id"], is_correct=True).count() == 4


def test_partial_credit_on_multiple_choice_and_a_fail(quiz, course, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    right, wrong = correct_ids(quiz.q_multiple), wrong_ids(quiz.q_multiple)

    response = client.post(
        submit_url(attempt["id"]),
        {
            "answers": [
                # one of two right picks and no wrong one: half of 4 points
                {"question_id": str(quiz.q_multiple.pk), "choice_ids": right[:1]},
                {"question_id": str(quiz.q_single.pk), "choice_ids": wrong_ids(quiz.q_single)[:1]},
                {
                    "question_id": str(quiz.q_true_false.pk),
                    "choice_ids": correct_ids(quiz.q_true_false),
                },
                {"question_id": str(quiz.q_text.pk), "text": "Boston"},
            ]
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["score"] == 3.0  # 2 (half of multiple) + 1 (true/false)
    assert body["percent"] == 30.0
    assert body["passed"] is False
    assert not LessonProgress.objects.filter(
        lesson=quiz.lesson, completed_at__isnull=False
    ).exists()
    assert wrong  # the quiz has wrong choices to pick


def test_wrong_picks_cancel_right_ones(quiz, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    right, wrong = correct_ids(quiz.q_multiple), wrong_ids(quiz.q_multiple)
    response = client.post(
        submit_url(attempt["id"]),
        {"answers": [{"question_id": str(quiz.q_multiple.pk), "choice_ids": right + wrong[:1]}]},
    )
    assert response.json()["score"] == 2.0  # (2 right - 1 wrong) / 2 of 4 points


def test_unanswered_questions_score_zero(quiz, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    response = client.post(submit_url(attempt["id"]), {"answers": []})
    assert response.status_code == 200
    assert response.json()["score"] == 0.0
    assert response.json()["max_score"] == 10.0
    assert response.json()["passed"] is False


def test_a_second_submit_is_409(quiz, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    assert client.post(submit_url(attempt["id"]), {"answers": all_right(quiz)}).status_code == 200

    response = client.post(submit_url(attempt["id"]), {"answers": []})

    assert response.status_code == 409
    assert error_codes(response) == ["attempt_already_submitted"]
    assert Attempt.objects.get(pk=attempt["id"]).score == 10


def test_an_answer_to_a_question_of_another_quiz_is_400(quiz, course, enrolled_student, client_for):
    other = quiz_in(course)
    foreign = single_choice(other)
    client = client_for(enrolled_student)
    attempt = start(client, quiz)

    response = client.post(
        submit_url(attempt["id"]),
        {"answers": [{"question_id": str(foreign.pk), "choice_ids": correct_ids(foreign)}]},
    )

    assert response.status_code == 400
    assert error_codes(response) == ["question_not_in_quiz"]
    assert Attempt.objects.get(pk=attempt["id"]).submitted_at is None


@pytest.mark.parametrize(
    "make_answer",
    [
        # a choice of another question
        lambda quiz: {
            "question_id": str(quiz.q_single.pk),
            "choice_ids": correct_ids(quiz.q_multiple)[:1],
        },
        # two choices for a single choice question
        lambda quiz: {
            "question_id": str(quiz.q_single.pk),
            "choice_ids": [*correct_ids(quiz.q_single), *wrong_ids(quiz.q_single)[:1]],
        },
        # choices for a text question
        lambda quiz: {"question_id": str(quiz.q_text.pk), "choice_ids": correct_ids(quiz.q_single)},
        # text for a choice question
        lambda quiz: {"question_id": str(quiz.q_true_false.pk), "text": "False"},
    ],
)
def test_malformed_answers_are_400(quiz, enrolled_student, client_for, make_answer):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    response = client.post(submit_url(attempt["id"]), {"answers": [make_answer(quiz)]})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_answer"]


def test_two_answers_to_one_question_are_400(quiz, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    answer = {"question_id": str(quiz.q_text.pk), "text": "NYC"}
    response = client.post(submit_url(attempt["id"]), {"answers": [answer, answer]})
    assert response.status_code == 400
    assert error_codes(response) == ["duplicate_answer"]


def test_a_body_without_answers_is_400(quiz, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    response = client.post(submit_url(attempt["id"]), {"answers": [{"question_id": "nope"}]})
    assert response.status_code == 400
    assert client.post(submit_url(attempt["id"]), {}).status_code == 400


def test_another_students_attempt_is_404(
    quiz, course, enrolled_student, other_student, enrolled, client_for
):
    enrolled(other_student, course)
    attempt = start(client_for(enrolled_student), quiz)
    intruder = client_for(other_student)
    assert intruder.get(f"/api/v1/attempts/{attempt['id']}/").status_code == 404
    assert intruder.post(submit_url(attempt["id"]), {"answers": all_right(quiz)}).status_code == 404
    assert Attempt.objects.get(pk=attempt["id"]).submitted_at is None


def test_the_instructor_cannot_read_a_students_attempt(
    quiz, enrolled_student, instructor, client_for
):
    attempt = start(client_for(enrolled_student), quiz)
    assert client_for(instructor).get(f"/api/v1/attempts/{attempt['id']}/").status_code == 404


def test_submit_needs_authentication(quiz, enrolled_student, client_for, anon_client):
    attempt = start(client_for(enrolled_student), quiz)
    assert anon_client.post(submit_url(attempt["id"]), {"answers": []}).status_code == 401


def test_a_revoked_enrollment_cannot_submit(quiz, course, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    enrollment = Enrollment.objects.get(student=enrolled_student, course=course)
    revoke_enrollment(enrollment=enrollment, reason="refund")

    response = client.post(submit_url(attempt["id"]), {"answers": all_right(quiz)})

    assert response.status_code == 403
    assert Attempt.objects.get(pk=attempt["id"]).submitted_at is None


# --- time limit --------------------------------------------------------------------------------


def test_submitting_within_the_grace_counts(quiz, enrolled_student, client_for):
    Quiz.objects.filter(pk=quiz.pk).update(time_limit_minutes=10)
    client = client_for(enrolled_student)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt = start(client, quiz)
        traveller.shift(timedelta(minutes=10, seconds=SUBMIT_GRACE_SECONDS - 1))
        response = client.post(submit_url(attempt["id"]), {"answers": all_right(quiz)})
    assert response.status_code == 200
    assert response.json()["passed"] is True


def test_submitting_after_the_deadline_is_409_attempt_expired(quiz, enrolled_student, client_for):
    # given a 10 minute quiz started now
    Quiz.objects.filter(pk=quiz.pk).update(time_limit_minutes=10)
    client = client_for(enrolled_student)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt = start(client, quiz)

        # when the answers arrive after the deadline and its grace
        traveller.shift(timedelta(minutes=10, seconds=SUBMIT_GRACE_SECONDS + 1))
        response = client.post(submit_url(attempt["id"]), {"answers": all_right(quiz)})
        detail = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
        # the expired attempt does not block a new one
        second = client.post(attempts_url(quiz))

    # then nothing is scored
    assert response.status_code == 409
    assert error_codes(response) == ["attempt_expired"]
    assert Attempt.objects.get(pk=attempt["id"]).submitted_at is None
    assert not LessonProgress.objects.filter(
        lesson=quiz.lesson, completed_at__isnull=False
    ).exists()
    assert detail["status"] == "expired"
    assert second.status_code == 201
    assert second.json()["number"] == 2


# --- review visibility -------------------------------------------------------------------------


def test_review_after_submit_shows_the_right_answers(quiz, enrolled_student, client_for):
    Quiz.objects.filter(pk=quiz.pk).update(show_correct_answers="after_submit")
    client = client_for(enrolled_student)
    attempt = start(client, quiz)

    body = client.post(
        submit_url(attempt["id"]),
        {"answers": [{"question_id": str(quiz.q_text.pk), "text": "Boston"}]},
    ).json()

    review = {item["question_id"]: item for item in body["review"]}
    assert review[str(quiz.q_text.pk)]["accepted_answers"] == ["New York", "NYC"]
    assert review[str(quiz.q_text.pk)]["text"] == "Boston"
    assert review[str(quiz.q_text.pk)]["is_correct"] is False
    assert review[str(quiz.q_single.pk)]["correct_choice_ids"] == correct_ids(quiz.q_single)
    assert review[str(quiz.q_single.pk)]["points_awarded"] == 0.0
    # and reading the attempt again shows the same review
    again = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert again["status"] == "submitted"
    assert again["review"] == body["review"]


def test_review_never_hides_the_answers_after_submit(quiz, enrolled_student, client_for):
    Quiz.objects.filter(pk=quiz.pk).update(show_correct_answers="never")
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    response = client.post(submit_url(attempt["id"]), {"answers": all_right(quiz)})
    assert response.json()["review"] is None
    assert "New York" not in response.content.decode()
    assert client.get(f"/api/v1/attempts/{attempt['id']}/").json()["review"] is None


def test_review_after_pass_only_once_passed(quiz, enrolled_student, client_for):
    Quiz.objects.filter(pk=quiz.pk).update(show_correct_answers="after_pass", max_attempts=None)
    client = client_for(enrolled_student)
    failed = start(client, quiz)
    assert client.post(submit_url(failed["id"]), {"answers": []}).json()["review"] is None
    passed = start(client, quiz)
    body = client.post(submit_url(passed["id"]), {"answers": all_right(quiz)}).json()
    assert body["passed"] is True
    assert len(body["review"]) == 4


# --- questions changing under an open attempt --------------------------------------------------


def test_a_question_added_after_the_start_is_not_part_of_the_attempt(
    quiz, enrolled_student, client_for
):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    late = single_choice(quiz, text="Added later")
    response = client.post(
        submit_url(attempt["id"]),
        {"answers": [{"question_id": str(late.pk), "choice_ids": correct_ids(late)}]},
    )
    assert response.status_code == 400
    assert error_codes(response) == ["question_not_in_quiz"]


def test_a_question_removed_after_the_start_is_not_scored(quiz, enrolled_student, client_for):
    client = client_for(enrolled_student)
    attempt = start(client, quiz)
    answers = all_right(quiz)
    quiz.q_text.delete()
    response = client.post(submit_url(attempt["id"]), {"answers": answers})
    assert response.status_code == 200
    assert response.json()["max_score"] == 7.0
    assert response.json()["percent"] == 100.0
