"""An instructor reads their course's students' work: every quiz attempt and assignment
submission, filtered per student, per quiz or assignment (and status); 404 for another
instructor's course, 403 for the course's own students; a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.assessments.models import Attempt, Submission, SubmissionStatus
from lms.assessments.services import start_attempt, submit_attempt
from lms.assessments.tests.factories import assignment_in, correct_ids, quiz_in, single_choice
from lms.conftest import error_codes
from lms.learning.services import enroll

pytestmark = pytest.mark.django_db


def attempts_url(course) -> str:
    return f"/api/v1/courses/{course.slug}/quiz-attempts/"


def submissions_url(course) -> str:
    return f"/api/v1/courses/{course.pk}/submissions/"


@pytest.fixture
def work(course):
    """Two students, two quizzes, one assignment: attempts and submissions of each."""
    first_quiz, second_quiz = quiz_in(course), quiz_in(course)
    for quiz in (first_quiz, second_quiz):
        single_choice(quiz)
    assignment = assignment_in(course)
    ada, bob = UserFactory(first_name="Ada"), UserFactory(first_name="Bob")
    attempts = []
    for student in (ada, bob):
        enroll(student=student, course=course, source="free")
        for quiz in (first_quiz, second_quiz):
            attempt = start_attempt(quiz=quiz, student=student)
            question = quiz.questions.get()
            submit_attempt(
                attempt=attempt,
                student=student,
                answers=[{"question_id": question.pk, "choice_ids": correct_ids(question)}],
            )
            attempts.append(attempt)
    now = timezone.now()
    submissions = [
        Submission.objects.create(
            assignment=assignment,
            student=student,
            text="done",
            submitted_at=now - timedelta(hours=i),
        )
        for i, student in enumerate((ada, bob))
    ]
    return {
        "quizzes": (first_quiz, second_quiz),
        "assignment": assignment,
        "ada": ada,
        "bob": bob,
        "attempts": attempts,
        "submissions": submissions,
    }


def test_instructor_lists_every_attempt_in_the_course(instructor_client, course, work):
    response = instructor_client.get(attempts_url(course))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    item = body["results"][0]
    assert {"id", "quiz_id", "quiz_title", "student", "score", "percent", "passed"} <= set(item)
    assert set(item["student"]) == {"id", "name", "email"}
    assert {row["student"]["id"] for row in body["results"]} == {
        str(work["ada"].pk),
        str(work["bob"].pk),
    }


def test_attempts_per_student_and_per_quiz(instructor_client, course, work):
    ada = work["ada"]
    first_quiz = work["quizzes"][0]
    by_student = instructor_client.get(f"{attempts_url(course)}?student={ada.pk}").json()
    assert by_student["count"] == 2
    assert {row["student"]["id"] for row in by_student["results"]} == {str(ada.pk)}
    by_quiz = instructor_client.get(f"{attempts_url(course)}?quiz={first_quiz.pk}").json()
    assert {row["quiz_id"] for row in by_quiz["results"]} == {str(first_quiz.pk)}
    both = instructor_client.get(
        f"{attempts_url(course)}?student={ada.pk}&quiz={first_quiz.pk}"
    ).json()
    assert both["count"] == 1


def test_the_quiz_attempts_endpoint_lists_every_student_for_the_instructor(
    instructor_client, client_for, work
):
    quiz = work["quizzes"][0]
    url = f"/api/v1/quizzes/{quiz.pk}/attempts/"
    assert instructor_client.get(url).json()["count"] == 2
    only_bob = instructor_client.get(f"{url}?student={work['bob'].pk}").json()
    assert [row["student"]["id"] for row in only_bob["results"]] == [str(work["bob"].pk)]
    # a student sees their own only, whatever `student` says
    mine = client_for(work["ada"]).get(f"{url}?student={work['bob'].pk}").json()
    assert [row["student"]["id"] for row in mine["results"]] == [str(work["ada"].pk)]


def test_instructor_lists_submissions_with_filters(instructor_client, course, work):
    url = submissions_url(course)
    everything = instructor_client.get(url).json()
    assert everything["count"] == 2
    # latest first
    assert [row["id"] for row in everything["results"]] == [
        str(submission.pk) for submission in work["submissions"]
    ]
    bob = instructor_client.get(f"{url}?student={work['bob'].pk}").json()
    assert [row["student"]["id"] for row in bob["results"]] == [str(work["bob"].pk)]
    assigned = instructor_client.get(f"{url}?assignment={work['assignment'].pk}").json()
    assert assigned["count"] == 2
    graded = instructor_client.get(f"{url}?status={SubmissionStatus.GRADED}").json()
    assert graded["count"] == 0


def test_another_instructors_course_is_404(client_for, course, work):
    other = client_for(InstructorFactory())
    for url in (attempts_url(course), submissions_url(course)):
        assert other.get(url).status_code == 404
    assert other.get("/api/v1/courses/no-such-course/quiz-attempts/").status_code == 404


def test_the_courses_students_are_403_and_anonymous_401(client_for, anon_client, course, work):
    student = client_for(work["ada"])
    for url in (attempts_url(course), submissions_url(course)):
        response = student.get(url)
        assert response.status_code == 403
        assert error_codes(response) == ["not_course_instructor"]
        assert anon_client.get(url).status_code == 401
        assert client_for(UserFactory()).get(url).status_code == 404


def test_staff_read_them_too(manager_client, admin_client_api, course, work):
    assert manager_client.get(attempts_url(course)).json()["count"] == 4
    assert admin_client_api.get(submissions_url(course)).json()["count"] == 2


@pytest.mark.parametrize("query", ["?student=nope", "?quiz=123", "?status=lost", "?assignment=x"])
def test_bad_filters_are_400(instructor_client, course, work, query):
    url = (
        submissions_url(course)
        if "status" in query or "assignment" in query
        else attempts_url(course)
    )
    response = instructor_client.get(f"{url}{query}")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_lists_read_in_a_fixed_number_of_queries(
    instructor_client, course, work, django_assert_max_num_queries
):
    for _ in range(5):  # more students, more attempts and submissions
        student = UserFactory()
        enroll(student=student, course=course, source="free")
        Attempt.objects.create(
            quiz=work["quizzes"][0], student=student, number=1, started_at=timezone.now()
        )
        Submission.objects.create(
            assignment=work["assignment"], student=student, submitted_at=timezone.now()
        )
    with django_assert_max_num_queries(7):
        assert instructor_client.get(attempts_url(course)).json()["count"] == 9
    with django_assert_max_num_queries(7):
        assert instructor_client.get(submissions_url(course)).json()["count"] == 7
