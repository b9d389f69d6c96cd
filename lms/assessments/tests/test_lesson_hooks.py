"""A quiz lesson gets its quiz at once, an assignment lesson its assignment (catalog's API)."""

from __future__ import annotations

import pytest

from lms.assessments.models import Assignment, Quiz
from lms.catalog.tests.factories import SectionFactory

pytestmark = pytest.mark.django_db


def test_creating_a_quiz_lesson_creates_its_quiz(course, instructor, client_for):
    # given
    section = SectionFactory(course=course)
    client = client_for(instructor)

    # when the instructor adds a quiz lesson through catalog
    response = client.post(
        f"/api/v1/sections/{section.pk}/lessons/", {"title": "Check yourself", "type": "quiz"}
    )

    # then the lesson shows its quiz, which exists and is usable at once
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["quiz_id"] == body["id"]
    assert body["assignment_id"] is None
    quiz = Quiz.objects.get(pk=body["quiz_id"])
    assert str(quiz.lesson_id) == body["id"]
    assert client.get(f"/api/v1/quizzes/{quiz.pk}/").status_code == 200
    # and the lesson detail carries the same id
    detail = client.get(f"/api/v1/lessons/{body['id']}/").json()
    assert detail["quiz_id"] == body["id"]


def test_creating_an_assignment_lesson_creates_its_assignment(course, instructor, client_for):
    section = SectionFactory(course=course)
    response = client_for(instructor).post(
        f"/api/v1/sections/{section.pk}/lessons/", {"title": "Homework", "type": "assignment"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["assignment_id"] == body["id"]
    assert body["quiz_id"] is None
    assert Assignment.objects.filter(pk=body["id"], lesson_id=body["id"]).exists()
    assert not Quiz.objects.exists()


def test_other_lessons_get_neither(course, instructor, client_for):
    section = SectionFactory(course=course)
    body = (
        client_for(instructor)
        .post(f"/api/v1/sections/{section.pk}/lessons/", {"title": "Reading", "type": "text"})
        .json()
    )
    assert body["quiz_id"] is None
    assert body["assignment_id"] is None
    assert not Quiz.objects.exists()
    assert not Assignment.objects.exists()


def test_changing_a_lesson_to_a_quiz_creates_the_quiz_once(course, instructor, client_for):
    section = SectionFactory(course=course)
    client = client_for(instructor)
    lesson = client.post(
        f"/api/v1/sections/{section.pk}/lessons/", {"title": "Reading", "type": "text"}
    ).json()

    changed = client.patch(f"/api/v1/lessons/{lesson['id']}/", {"type": "quiz"})
    client.patch(f"/api/v1/lessons/{lesson['id']}/", {"type": "text"})
    back = client.patch(f"/api/v1/lessons/{lesson['id']}/", {"type": "quiz"})

    assert changed.status_code == 200, changed.json()
    assert changed.json()["quiz_id"] == lesson["id"]
    assert back.json()["quiz_id"] == lesson["id"]
    assert Quiz.objects.filter(lesson_id=lesson["id"]).count() == 1
