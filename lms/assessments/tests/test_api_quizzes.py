"""Quiz settings and questions through the API: who reads, who writes, what students never see."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import InstructorFactory
from lms.assessments.models import Choice, Question, Quiz, ReviewVisibility
from lms.assessments.tests.factories import (
    multiple_choice,
    quiz_in,
    short_text,
    single_choice,
    true_false,
)
from lms.catalog.models import CourseStatus
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db


def quiz_url(quiz: Quiz) -> str:
    return f"/api/v1/quizzes/{quiz.pk}/"


def questions_url(quiz: Quiz) -> str:
    return f"/api/v1/quizzes/{quiz.pk}/questions/"


# --- GET /quizzes/{id}/ ------------------------------------------------------------------------


def test_enrolled_student_reads_settings_without_questions_or_answers(
    course, enrolled_student, client_for
):
    # given a quiz with one question of each type
    quiz = quiz_in(course, pass_percent=60, max_attempts=2, time_limit_minutes=15)
    single_choice(quiz)
    multiple_choice(quiz)
    true_false(quiz)
    short_text(quiz)

    # when the enrolled student reads it
    response = client_for(enrolled_student).get(quiz_url(quiz))

    # then the settings and totals come back, and nothing that reveals an answer
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(quiz.pk)
    assert body["lesson_id"] == str(quiz.lesson_id)
    assert body["pass_percent"] == 60
    assert body["max_attempts"] == 2
    assert body["time_limit_minutes"] == 15
    assert body["question_count"] == 4
    assert body["max_score"] == 2 + 4 + 1 + 3
    assert body["attempts_used"] == 0
    assert body["attempts_left"] == 2
    assert "questions" not in body
    assert "is_correct" not in response.content.decode()
    assert "New York" not in response.content.decode()


def test_instructor_reads_questions_with_answers(course, instructor, client_for):
    quiz = quiz_in(course)
    question = single_choice(quiz)

    response = client_for(instructor).get(quiz_url(quiz))

    assert response.status_code == 200
    [item] = response.json()["questions"]
    assert item["id"] == str(question.pk)
    assert [choice["is_correct"] for choice in item["choices"]] == [False, True, False]


def test_quiz_needs_authentication(course, anon_client):
    quiz = quiz_in(course)
    assert anon_client.get(quiz_url(quiz)).status_code == 401


def test_student_not_enrolled_gets_403(course, student, client_for):
    quiz = quiz_in(course)
    response = client_for(student).get(quiz_url(quiz))
    assert response.status_code == 403
    assert error_codes(response) == ["enrollment_required"]


def test_quiz_of_an_unpublished_course_is_404_for_outsiders(course, student, client_for):
    quiz = quiz_in(course)
    course.status = CourseStatus.DRAFT
    course.save(update_fields=["status"])
    assert client_for(student).get(quiz_url(quiz)).status_code == 404


def test_quiz_of_a_lesson_changed_to_another_type_is_404(course, instructor, client_for):
    quiz = quiz_in(course)
    quiz.lesson.type = "text"
    quiz.lesson.save(update_fields=["type"])
    assert client_for(instructor).get(quiz_url(quiz)).status_code == 404


def test_unknown_quiz_is_404(instructor_client):
    response = instructor_client.get("/api/v1/quizzes/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


# --- PATCH /quizzes/{id}/ ----------------------------------------------------------------------


def test_instructor_changes_settings(course, instructor, client_for):
    quiz = quiz_in(course)

    response = client_for(instructor).patch(
        quiz_url(quiz),
        {
            "pass_percent": 80,
            "max_attempts": None,
            "time_limit_minutes": 30,
            "shuffle": True,
            "show_correct_answers": "after_pass",
        },
    )

    assert response.status_code == 200
    quiz.refresh_from_db()
    assert quiz.pass_percent == 80
    assert quiz.max_attempts is None
    assert quiz.time_limit_minutes == 30
    assert quiz.shuffle is True
    assert quiz.show_correct_answers == ReviewVisibility.AFTER_PASS
    assert response.json()["max_attempts"] is None


def test_co_instructor_changes_settings(course, client_for):
    co = InstructorFactory()
    course.co_instructors.add(co)
    quiz = quiz_in(course)
    response = client_for(co).patch(quiz_url(quiz), {"pass_percent": 50})
    assert response.status_code == 200
    quiz.refresh_from_db()
    assert quiz.pass_percent == 50


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pass_percent", 101),
        ("pass_percent", -1),
        ("max_attempts", 0),
        ("time_limit_minutes", 0),
        ("show_correct_answers", "always"),
    ],
)
def test_bad_settings_are_400(course, instructor, client_for, field, value):
    quiz = quiz_in(course)
    response = client_for(instructor).patch(quiz_url(quiz), {field: value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == field
    quiz.refresh_from_db()
    assert quiz.pass_percent == 70


def test_enrolled_student_cannot_change_settings(course, enrolled_student, client_for):
    quiz = quiz_in(course)
    response = client_for(enrolled_student).patch(quiz_url(quiz), {"pass_percent": 0})
    assert response.status_code == 403
    assert error_codes(response) == ["not_course_instructor"]


def test_manager_reads_but_cannot_change_settings(course, manager_client):
    quiz = quiz_in(course)
    assert manager_client.get(quiz_url(quiz)).status_code == 200
    assert manager_client.patch(quiz_url(quiz), {"pass_percent": 1}).status_code == 403


def test_instructor_of_another_course_gets_403_on_a_published_course(
    course, other_instructor, client_for
):
    quiz = quiz_in(course)
    response = client_for(other_instructor).patch(quiz_url(quiz), {"pass_percent": 1})
    assert response.status_code == 403


# --- GET/POST /quizzes/{id}/questions/ ---------------------------------------------------------


def test_instructor_adds_a_single_choice_question(course, instructor, client_for):
    quiz = quiz_in(course)

    response = client_for(instructor).post(
        questions_url(quiz),
        {
            "type": "single_choice",
            "text": "Pick the even number",
            "points": 5,
            "choices": [{"text": "1"}, {"text": "2", "is_correct": True}],
        },
    )

    assert response.status_code == 201
    body = response.json()
    question = Question.objects.get(pk=body["id"])
    assert question.points == 5
    assert question.quiz == quiz
    assert [choice["id"] for choice in body["choices"]] == [
        str(pk) for pk in Choice.objects.filter(question=question).values_list("pk", flat=True)
    ]
    assert [choice["is_correct"] for choice in body["choices"]] == [False, True]


def test_instructor_adds_a_short_text_question(course, instructor, client_for):
    quiz = quiz_in(course)
    response = client_for(instructor).post(
        questions_url(quiz),
        {"type": "short_text", "text": "Say hi", "accepted_answers": ["  Hello   World ", "hi"]},
    )
    assert response.status_code == 201
    assert response.json()["accepted_answers"] == ["Hello World", "hi"]
    assert response.json()["choices"] == []


def test_questions_are_appended_in_order(course, instructor, client_for):
    quiz = quiz_in(course)
    client = client_for(instructor)
    for text in ("first", "second", "third"):
        client.post(
            questions_url(quiz), {"type": "short_text", "text": text, "accepted_answers": ["x"]}
        )
    response = client.get(questions_url(quiz))
    assert [item["text"] for item in response.json()["results"]] == ["first", "second", "third"]
    assert [item["order"] for item in response.json()["results"]] == [0, 1, 2]


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        (
            {
                "type": "single_choice",
                "text": "q",
                "choices": [{"text": "a", "is_correct": True}, {"text": "b", "is_correct": True}],
            },
            "choices",
        ),
        (
            {"type": "single_choice", "text": "q", "choices": [{"text": "a", "is_correct": True}]},
            "choices",
        ),
        (
            {"type": "multiple_choice", "text": "q", "choices": [{"text": "a"}, {"text": "b"}]},
            "choices",
        ),
        (
            {
                "type": "true_false",
                "text": "q",
                "choices": [{"text": "T", "is_correct": True}, {"text": "F"}, {"text": "?"}],
            },
            "choices",
        ),
        (
            {
                "type": "single_choice",
                "text": "q",
                "choices": [{"text": "same", "is_correct": True}, {"text": "Same"}],
            },
            "choices",
        ),
        ({"type": "short_text", "text": "q", "accepted_answers": []}, "accepted_answers"),
        ({"type": "short_text", "text": "q", "accepted_answers": ["   "]}, "accepted_answers"),
        (
            {
                "type": "short_text",
                "text": "q",
                "accepted_answers": ["a"],
                "choices": [{"text": "x"}],
            },
            "choices",
        ),
        (
            {
                "type": "single_choice",
                "text": "q",
                "accepted_answers": ["a"],
                "choices": [{"text": "a", "is_correct": True}, {"text": "b"}],
            },
            "accepted_answers",
        ),
        ({"type": "essay", "text": "q"}, "type"),
        ({"type": "short_text", "text": "q", "accepted_answers": ["a"], "points": 0}, "points"),
    ],
)
def test_bad_questions_are_400_and_write_nothing(course, instructor, client_for, payload, attr):
    quiz = quiz_in(course)
    response = client_for(instructor).post(questions_url(quiz), payload)
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["attr"].startswith(attr)
    assert not Question.objects.filter(quiz=quiz).exists()


def test_questions_are_for_the_course_instructors_only(course, enrolled_student, client_for):
    quiz = quiz_in(course)
    single_choice(quiz)
    client = client_for(enrolled_student)
    assert client.get(questions_url(quiz)).status_code == 403
    response = client.post(
        questions_url(quiz), {"type": "short_text", "text": "q", "accepted_answers": ["a"]}
    )
    assert response.status_code == 403
    assert Question.objects.filter(quiz=quiz).count() == 1


def test_questions_need_authentication(course, anon_client):
    quiz = quiz_in(course)
    assert anon_client.get(questions_url(quiz)).status_code == 401
    assert anon_client.post(questions_url(quiz), {}).status_code == 401


def test_question_list_runs_a_constant_number_of_queries(
    course, instructor, client_for, django_assert_max_num_queries
):
    # given a quiz with a realistic page of questions, each with choices
    quiz = quiz_in(course)
    client = client_for(instructor)
    for _ in range(20):
        multiple_choice(quiz)

    # then: auth user + quiz + co-instructors + count + page + choices, whatever the size
    with django_assert_max_num_queries(6):
        response = client.get(questions_url(quiz), {"page_size": 20})

    assert response.status_code == 200
    assert response.json()["count"] == 20
    assert all(len(item["choices"]) == 4 for item in response.json()["results"])


def test_instructor_deletes_a_question(course, instructor, client_for):
    quiz = quiz_in(course)
    question = single_choice(quiz)
    response = client_for(instructor).delete(f"/api/v1/questions/{question.pk}/")
    assert response.status_code == 204
    assert not Question.objects.filter(pk=question.pk).exists()


def test_student_cannot_delete_a_question(course, enrolled_student, client_for):
    quiz = quiz_in(course)
    question = single_choice(quiz)
    response = client_for(enrolled_student).delete(f"/api/v1/questions/{question.pk}/")
    assert response.status_code == 403
    assert Question.objects.filter(pk=question.pk).exists()
