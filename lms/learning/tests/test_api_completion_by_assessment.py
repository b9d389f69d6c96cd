"""Quiz and assignment lessons complete only by passing their assessment (issue 10, item 12).

The student's own word (`mark-lesson-complete`, or a progress report with `completed: true`)
is 409 `completion_by_assessment` on them; a passing attempt or a passing grade completes
them; the enrollment's detail says which lessons are of that kind.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.assessments.tests.factories import (
    assignment_in,
    correct_ids,
    quiz_in,
    single_choice,
)
from lms.catalog.models import Course
from lms.conftest import error_codes
from lms.learning import services
from lms.learning.models import Certificate, EnrollmentStatus, LessonProgress
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db


def complete_url(enrollment) -> str:
    return f"/api/v1/enrollments/{enrollment.pk}/mark-lesson-complete/"


def position_url(enrollment, lesson) -> str:
    return f"/api/v1/enrollments/{enrollment.pk}/lessons/{lesson.pk}/progress/"


@pytest.fixture
def course_with_assessments():
    """A reading lesson, a quiz lesson (one question) and an assignment lesson."""
    made = make_course(lessons=1, sections=1)
    quiz = quiz_in(made.course, pass_percent=50)
    quiz.question = single_choice(quiz)
    assignment = assignment_in(made.course, max_score=100, pass_score=50)
    Course.objects.filter(pk=made.course.pk).update(lesson_count=3)
    return made, quiz, assignment


@pytest.mark.parametrize("kind", ["quiz", "assignment"])
def test_mark_lesson_complete_refuses_an_assessed_lesson(
    kind, student, student_client, course_with_assessments
):
    # given
    made, quiz, assignment = course_with_assessments
    lesson = quiz.lesson if kind == "quiz" else assignment.lesson
    enrollment = services.enroll(student=student, course=made.course, source="free")
    # when
    response = student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    # then
    assert response.status_code == 409
    assert error_codes(response) == ["completion_by_assessment"]
    assert not LessonProgress.objects.filter(enrollment=enrollment).exists()


def test_no_way_around_it_through_the_progress_report(
    student, student_client, course_with_assessments
):
    made, quiz, _assignment = course_with_assessments
    enrollment = services.enroll(student=student, course=made.course, source="free")
    response = student_client.put(
        position_url(enrollment, quiz.lesson), {"position_seconds": 0, "completed": True}
    )
    assert response.status_code == 409
    assert error_codes(response) == ["completion_by_assessment"]
    assert not LessonProgress.objects.filter(enrollment=enrollment).exists()
    # a plain position report on it is still fine
    response = student_client.put(position_url(enrollment, quiz.lesson), {"position_seconds": 0})
    assert response.status_code == 200


def test_a_student_cannot_reach_a_certificate_without_passing(
    student, student_client, course_with_assessments, django_capture_on_commit_callbacks
):
    # given: the reading lesson marked complete, the quiz and assignment only tried that way
    made, quiz, assignment = course_with_assessments
    enrollment = services.enroll(student=student, course=made.course, source="free")
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in (made.lessons[0], quiz.lesson, assignment.lesson):
            student_client.post(complete_url(enrollment), {"lesson_id": str(lesson.pk)})
    # then
    body = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/").json()
    assert body["progress_percent"] == pytest.approx(33.3)
    assert body["status"] == EnrollmentStatus.ACTIVE
    assert not Certificate.objects.exists()


def test_a_passing_attempt_and_a_passing_grade_complete_their_lessons(
    student, student_client, client_for, course_with_assessments, django_capture_on_commit_callbacks
):
    # given
    made, quiz, assignment = course_with_assessments
    enrollment = services.enroll(student=student, course=made.course, source="free")
    student_client.post(complete_url(enrollment), {"lesson_id": str(made.lessons[0].pk)})
    # when: the quiz passed through its own endpoints
    attempt = student_client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()
    answers = [{"question_id": str(quiz.question.pk), "choice_ids": correct_ids(quiz.question)}]
    submitted = student_client.post(
        f"/api/v1/attempts/{attempt['id']}/submit/", {"answers": answers}, format="json"
    )
    assert submitted.json()["passed"] is True
    # and the assignment submitted and given a passing grade
    submission = student_client.post(
        f"/api/v1/assignments/{assignment.pk}/submissions/", {"text": "my essay"}
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        graded = client_for(made.course.instructor).post(
            f"/api/v1/submissions/{submission['id']}/grade/", {"score": "80"}
        )
    assert graded.status_code == 200, graded.json()
    # then
    body = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/").json()
    assert body["progress_percent"] == 100
    assert body["status"] == EnrollmentStatus.COMPLETED
    assert body["certificate_id"] is not None
    # and the student's word on an assessed lesson stays refused, even once it is completed
    again = student_client.post(complete_url(enrollment), {"lesson_id": str(quiz.lesson.pk)})
    assert again.status_code == 409
    assert error_codes(again) == ["completion_by_assessment"]


def test_the_enrollment_detail_says_what_completes_each_lesson(
    student, student_client, course_with_assessments
):
    # given
    made, quiz, assignment = course_with_assessments
    enrollment = services.enroll(student=student, course=made.course, source="free")
    student_client.post(complete_url(enrollment), {"lesson_id": str(made.lessons[0].pk)})
    # when
    with CaptureQueriesContext(connection) as queries:
        response = student_client.get(f"/api/v1/enrollments/{enrollment.pk}/")
    # then: every current lesson, in curriculum order, once
    assert response.status_code == 200
    rows = {row["lesson_id"]: row for row in response.json()["lessons"]}
    assert len(rows) == 3
    assert rows[str(made.lessons[0].pk)]["completed_by"] == "student"
    assert rows[str(made.lessons[0].pk)]["completed_at"] is not None
    assert rows[str(quiz.lesson.pk)]["completed_by"] == "quiz"
    assert rows[str(quiz.lesson.pk)]["completed_at"] is None
    assert rows[str(quiz.lesson.pk)]["position_seconds"] == 0
    assert rows[str(assignment.lesson.pk)]["completed_by"] == "assignment"
    assert len(queries) <= 3  # the enrollment with its counts, then its lessons (+ the user)
