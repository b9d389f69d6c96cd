"""A passed quiz that completes the course answers with where the certificate stands, like
`mark-lesson-complete` does (docs/learning.md): `issued` with its id once the task ran at
commit, `issuing` while it has not, null while the course is not completed."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import UserFactory
from lms.assessments.tests.factories import correct_ids, free_course, quiz_in, single_choice
from lms.learning.services import enroll


def _submit(client, quiz, question, *, right: bool):
    attempt = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()
    choices = correct_ids(question) if right else []
    response = client.post(
        f"/api/v1/attempts/{attempt['id']}/submit/",
        {"answers": [{"question_id": str(question.pk), "choice_ids": choices}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.django_db
def test_a_failed_attempt_leaves_no_certificate(client_for):
    course = free_course()
    quiz = quiz_in(course)
    question = single_choice(quiz)
    student = UserFactory()
    enroll(student=student, course=course, source="free")
    body = _submit(client_for(student), quiz, question, right=False)
    assert body["passed"] is False
    assert (body["certificate_status"], body["certificate_id"]) == (None, None)


@pytest.mark.django_db
def test_passing_the_last_lesson_says_the_certificate_is_coming(client_for):
    course = free_course()
    quiz = quiz_in(course)  # the course's only lesson
    question = single_choice(quiz)
    student = UserFactory()
    enroll(student=student, course=course, source="free")
    body = _submit(client_for(student), quiz, question, right=True)
    assert body["passed"] is True
    # the test's transaction never commits: the certificate task has not run
    assert (body["certificate_status"], body["certificate_id"]) == ("issuing", None)


@pytest.mark.django_db(transaction=True)
def test_passing_the_last_lesson_names_the_certificate(client_for):
    course = free_course()
    quiz = quiz_in(course)
    question = single_choice(quiz)
    student = UserFactory()
    enroll(student=student, course=course, source="free")
    client = client_for(student)
    body = _submit(client, quiz, question, right=True)
    assert body["certificate_status"] == "issued"
    assert client.get(f"/api/v1/certificates/{body['certificate_id']}/").status_code == 200
