"""Editing one question through the API: GET and PATCH /questions/{id}/, and what attempts see."""

from __future__ import annotations

import pytest

from lms.assessments.models import Attempt, Choice, Question
from lms.assessments.tests.factories import (
    correct_ids,
    multiple_choice,
    quiz_in,
    short_text,
    single_choice,
    true_false,
)
from lms.audit.models import AuditLog
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db


def question_url(question: Question) -> str:
    return f"/api/v1/questions/{question.pk}/"


def submit_url(attempt_id: str) -> str:
    return f"/api/v1/attempts/{attempt_id}/submit/"


def start_attempt(client, quiz) -> dict:
    response = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert response.status_code == 201, response.json()
    return response.json()


def texts_and_correct(question: Question) -> list[tuple[str, bool]]:
    return [(choice.text, choice.is_correct) for choice in question.choices.order_by("order")]


# --- GET /questions/{id}/ ----------------------------------------------------------------------


def test_instructor_reads_a_question_as_created(course, instructor, client_for):
    # given a question created through the API
    quiz = quiz_in(course)
    client = client_for(instructor)
    created = client.post(
        f"/api/v1/quizzes/{quiz.pk}/questions/",
        {
            "type": "single_choice",
            "text": "Pick the even number",
            "choices": [{"text": "1"}, {"text": "2", "is_correct": True}],
        },
    ).json()

    # when the instructor reads it
    response = client.get(f"/api/v1/questions/{created['id']}/")

    # then it has the create response's shape and content
    assert response.status_code == 200
    assert response.json() == created


# --- PATCH /questions/{id}/: what changes ------------------------------------------------------


def test_instructor_edits_text_and_points(course, instructor, client_for):
    # given a single choice question
    quiz = quiz_in(course)
    question = single_choice(quiz, points=2)
    choice_ids = [str(pk) for pk in question.choices.values_list("pk", flat=True)]

    # when its text and points are edited
    response = client_for(instructor).patch(
        question_url(question), {"text": "  What is 2 + 2?  ", "points": 5}
    )

    # then they change, the choices stay as they were, and an audit line is written
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["text"] == "What is 2 + 2?"
    assert body["points"] == 5
    assert body["type"] == "single_choice"
    assert [choice["id"] for choice in body["choices"]] == choice_ids
    question.refresh_from_db()
    assert (question.text, question.points) == ("What is 2 + 2?", 5)
    log = AuditLog.objects.get(action="assessments.question_updated")
    assert log.actor == instructor
    assert log.target_id == str(question.pk)
    assert log.data == {"quiz_id": str(quiz.pk), "fields": ["text", "points"]}


def test_instructor_replaces_the_choices(course, instructor, client_for):
    # given a single choice question with choices 3, 4 (right) and 5
    quiz = quiz_in(course)
    question = single_choice(quiz)
    four = question.choices.get(text="4")

    # when the choices are replaced by a new list that still has "4", now wrong
    response = client_for(instructor).patch(
        question_url(question),
        {
            "choices": [
                {"text": "four", "is_correct": True},
                {"text": "4"},
                {"text": "22"},
            ]
        },
    )

    # then the question has exactly the new list, in its order
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(c["text"], c["is_correct"], c["order"]) for c in body["choices"]] == [
        ("four", True, 0),
        ("4", False, 1),
        ("22", False, 2),
    ]
    assert texts_and_correct(question) == [("four", True), ("4", False), ("22", False)]
    # a choice whose text stayed keeps its id; the ones dropped are gone
    assert body["choices"][1]["id"] == str(four.pk)
    assert not Choice.objects.filter(question=question, text__in=["3", "5"]).exists()


def test_instructor_replaces_the_accepted_answers(course, instructor, client_for):
    quiz = quiz_in(course)
    question = short_text(quiz)

    response = client_for(instructor).patch(
        question_url(question), {"accepted_answers": ["  New   York City ", "Big Apple"]}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["accepted_answers"] == ["New York City", "Big Apple"]
    assert response.json()["choices"] == []
    question.refresh_from_db()
    assert question.accepted_answers == ["New York City", "Big Apple"]


def test_instructor_moves_a_question(course, instructor, client_for):
    quiz = quiz_in(course)
    first, second = single_choice(quiz, text="first"), single_choice(quiz, text="second")

    response = client_for(instructor).patch(question_url(first), {"order": 5})

    assert response.status_code == 200
    assert response.json()["order"] == 5
    assert [q.pk for q in Question.objects.filter(quiz=quiz)] == [second.pk, first.pk]


def test_sending_the_same_type_back_is_accepted(course, instructor, client_for):
    quiz = quiz_in(course)
    question = true_false(quiz)
    response = client_for(instructor).patch(
        question_url(question), {"type": "true_false", "text": "The earth is round."}
    )
    assert response.status_code == 200
    assert response.json()["text"] == "The earth is round."


def test_co_instructor_edits_a_question(course, other_instructor, client_for):
    course.co_instructors.add(other_instructor)
    question = single_choice(quiz_in(course))
    response = client_for(other_instructor).patch(question_url(question), {"points": 7})
    assert response.status_code == 200
    assert response.json()["points"] == 7


# --- PATCH /questions/{id}/: who may -----------------------------------------------------------


def test_editing_needs_authentication(course, anon_client):
    question = single_choice(quiz_in(course))
    assert anon_client.get(question_url(question)).status_code == 401
    assert anon_client.patch(question_url(question), {"points": 9}).status_code == 401
    question.refresh_from_db()
    assert question.points == 2


def test_enrolled_student_cannot_read_or_edit_a_question(course, enrolled_student, client_for):
    question = single_choice(quiz_in(course))
    client = client_for(enrolled_student)

    assert client.get(question_url(question)).status_code == 403
    response = client.patch(question_url(question), {"points": 9})

    assert response.status_code == 403
    assert error_codes(response) == ["not_course_instructor"]
    question.refresh_from_db()
    assert question.points == 2


def test_manager_cannot_edit_a_question(course, manager_client):
    question = single_choice(quiz_in(course))
    response = manager_client.patch(question_url(question), {"points": 9})
    assert response.status_code == 403
    assert error_codes(response) == ["not_course_instructor"]


def test_another_instructors_question_is_404(course, other_instructor, client_for):
    # given a question of a published course the other instructor has nothing to do with
    question = single_choice(quiz_in(course))
    client = client_for(other_instructor)

    # then it is not there for them, to read, edit or delete
    assert client.get(question_url(question)).status_code == 404
    assert client.patch(question_url(question), {"points": 9}).status_code == 404
    assert client.delete(question_url(question)).status_code == 404
    question.refresh_from_db()
    assert question.points == 2


def test_unknown_question_is_404(instructor_client):
    url = "/api/v1/questions/00000000-0000-0000-0000-000000000000/"
    assert instructor_client.patch(url, {"points": 2}).status_code == 404


# --- PATCH /questions/{id}/: bad input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "attr", "code"),
    [
        ({"choices": [{"text": "a"}, {"text": "b"}]}, "choices", "invalid_choices"),
        (
            {"choices": [{"text": "a", "is_correct": True}, {"text": "b", "is_correct": True}]},
            "choices",
            "invalid_choices",
        ),
        ({"choices": [{"text": "a", "is_correct": True}]}, "choices", "invalid_choices"),
        ({"choices": [{"is_correct": True}, {"text": "b"}]}, "choices", "invalid_choices"),
        ({"accepted_answers": ["a"]}, "accepted_answers", "invalid_accepted_answers"),
        ({"points": -1}, "points", "min_value"),
        ({"points": 0}, "points", "min_value"),
        ({"text": "   "}, "text", "blank"),
        ({"type": "multiple_choice"}, "type", "question_type_locked"),
        ({"type": "essay"}, "type", "invalid_choice"),
    ],
)
def test_bad_edits_of_a_single_choice_question_are_400_and_change_nothing(
    course, instructor, client_for, payload, attr, code
):
    # given a single choice question
    quiz = quiz_in(course)
    question = single_choice(quiz)
    before = texts_and_correct(question)

    # when it is edited with bad input
    response = client_for(instructor).patch(question_url(question), payload)

    # then 400 with the field and its code, and nothing is written
    assert response.status_code == 400, response.json()
    [error] = response.json()["errors"]
    assert error["attr"].startswith(attr)
    assert error["code"] == code
    question.refresh_from_db()
    assert (question.type, question.points, question.text) == ("single_choice", 2, "2 + 2 = ?")
    assert texts_and_correct(question) == before
    assert not AuditLog.objects.filter(action="assessments.question_updated").exists()


def test_a_short_text_question_keeps_at_least_one_accepted_answer(course, instructor, client_for):
    question = short_text(quiz_in(course))
    client = client_for(instructor)

    response = client.patch(question_url(question), {"accepted_answers": []})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_accepted_answers"]

    response = client.patch(question_url(question), {"accepted_answers": ["  "]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"].startswith("accepted_answers")

    response = client.patch(question_url(question), {"choices": [{"text": "x"}]})
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_choices"]
    question.refresh_from_db()
    assert question.accepted_answers == ["New York", "NYC"]


# --- attempts around an edit -------------------------------------------------------------------


def test_open_attempt_answering_a_replaced_choice_gets_400(
    course, instructor, enrolled_student, client_for
):
    # given a student who started an attempt and saw the original choices
    quiz = quiz_in(course)
    question = single_choice(quiz)
    student = client_for(enrolled_student)
    attempt = start_attempt(student, quiz)
    old_right = correct_ids(question)

    # when the instructor replaces the choices before the student submits
    response = client_for(instructor).patch(
        question_url(question),
        {"choices": [{"text": "four", "is_correct": True}, {"text": "five"}]},
    )
    assert response.status_code == 200
    response = student.post(
        submit_url(attempt["id"]),
        {"answers": [{"question_id": str(question.pk), "choice_ids": old_right}]},
    )

    # then the submit is refused with a clear code, and the attempt stays open
    assert response.status_code == 400
    assert error_codes(response) == ["question_changed"]
    assert Attempt.objects.get(pk=attempt["id"]).submitted_at is None

    # and once read again, the attempt shows the new choices and can be answered
    again = student.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert [c["text"] for c in again["questions"][0]["choices"]] == ["four", "five"]
    response = student.post(
        submit_url(attempt["id"]),
        {"answers": [{"question_id": str(question.pk), "choice_ids": correct_ids(question)}]},
    )
    assert response.status_code == 200
    assert response.json()["score"] == 2


def test_open_attempt_is_scored_against_the_edited_question(
    course, instructor, enrolled_student, client_for
):
    # given an open attempt at a multiple choice question (2 and 3 right, 4 and 9 wrong)
    quiz = quiz_in(course, pass_percent=50)
    question = multiple_choice(quiz, points=4)
    student = client_for(enrolled_student)
    attempt = start_attempt(student, quiz)
    two, three, nine = (str(question.choices.get(text=text).pk) for text in ("2", "3", "9"))

    # when the instructor fixes "9" to be right too and doubles the points
    response = client_for(instructor).patch(
        question_url(question),
        {
            "points": 8,
            "choices": [
                {"text": "2", "is_correct": True},
                {"text": "3", "is_correct": True},
                {"text": "4"},
                {"text": "9", "is_correct": True},
            ],
        },
    )
    assert response.status_code == 200
    response = student.post(
        submit_url(attempt["id"]),
        {"answers": [{"question_id": str(question.pk), "choice_ids": [two, three, nine]}]},
    )

    # then the kept choices still count, scored by the new rules and points
    assert response.status_code == 200, response.json()
    assert response.json()["score"] == 8
    assert response.json()["max_score"] == 8


def test_submitted_attempt_keeps_its_score_after_an_edit(
    course, instructor, enrolled_student, client_for
):
    # given an attempt submitted with the right answer (2 points of 2)
    quiz = quiz_in(course)
    question = single_choice(quiz, points=2)
    student = client_for(enrolled_student)
    attempt = start_attempt(student, quiz)
    response = student.post(
        submit_url(attempt["id"]),
        {"answers": [{"question_id": str(question.pk), "choice_ids": correct_ids(question)}]},
    )
    assert response.json()["score"] == 2

    # when the instructor changes the points and makes another choice the right one
    response = client_for(instructor).patch(
        question_url(question),
        {
            "points": 10,
            "choices": [{"text": "3", "is_correct": True}, {"text": "4"}, {"text": "5"}],
        },
    )
    assert response.status_code == 200

    # then the submitted attempt is what was graded: not scored again
    stored = Attempt.objects.get(pk=attempt["id"])
    assert (stored.score, stored.max_score, stored.percent, stored.passed) == (2, 2, 100, True)
    summary = student.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert (summary["score"], summary["max_score"], summary["passed"]) == (2, 2, True)
    assert summary["review"][0]["points_awarded"] == 2


# --- query counts ------------------------------------------------------------------------------


def test_get_runs_a_constant_number_of_queries(
    course, instructor, client_for, django_assert_max_num_queries
):
    question = multiple_choice(quiz_in(course))
    client = client_for(instructor)

    # auth user + question with its course + co-instructors + question again + choices
    with django_assert_max_num_queries(5):
        response = client.get(question_url(question))

    assert response.status_code == 200
    assert len(response.json()["choices"]) == 4


def test_patch_runs_a_constant_number_of_queries(
    course, instructor, client_for, django_assert_max_num_queries
):
    # given a question with the largest number of choices
    quiz = quiz_in(course)
    question = multiple_choice(quiz)
    client = client_for(instructor)
    choices = [{"text": f"choice {n}", "is_correct": n % 2 == 0} for n in range(20)]
    choices[0]["text"] = "2"  # one kept, three dropped, nineteen new

    # then the edit costs the same whatever the number of choices: auth user + question with
    # its course + co-instructors, the locked question + its points check + update, choices
    # read + delete + update + insert, audit line, the question and choices read again, and
    # four savepoint statements
    with django_assert_max_num_queries(17):
        response = client.patch(
            question_url(question), {"text": "Pick", "points": 9, "choices": choices}
        )

    assert response.status_code == 200, response.json()
    assert len(response.json()["choices"]) == 20
