"""The admin lists and opens every assessments model for staff."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from lms.assessments import services
from lms.assessments.models import Submission
from lms.assessments.tests.factories import assignment_in, correct_ids, quiz_in, single_choice
from lms.audit.models import AuditLog
from lms.core.tests.admin_forms import posted_back
from lms.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_admin_pages_open(admin_web, course, student, enrolled):
    # given one of everything
    quiz = quiz_in(course)
    question = single_choice(quiz)
    enrolled(student, course)
    attempt = services.start_attempt(quiz=quiz, student=student)
    services.submit_attempt(
        attempt=attempt,
        student=student,
        answers=[{"question_id": question.pk, "choice_ids": correct_ids(question)}],
    )
    assignment = assignment_in(course)
    submission = Submission.objects.create(
        assignment=assignment, student=student, text="work", submitted_at=timezone.now()
    )

    # then every changelist and change page renders
    for name, obj in [
        ("quiz", quiz),
        ("question", question),
        ("attempt", attempt),
        ("assignment", assignment),
        ("submission", submission),
    ]:
        listing = admin_web.get(f"/admin/assessments/{name}/")
        assert listing.status_code == 200, name
        assert admin_web.get(f"/admin/assessments/{name}/{obj.pk}/change/").status_code == 200, name
    # quizzes and assignments come with their lessons, never from the admin
    assert admin_web.get("/admin/assessments/quiz/add/").status_code == 403
    assert admin_web.get("/admin/assessments/attempt/add/").status_code == 403


def test_quiz_settings_changed_in_the_admin_go_through_the_service(admin_web, admin_user, course):
    # given
    quiz = quiz_in(course)
    url = f"/admin/assessments/quiz/{quiz.pk}/change/"
    # when
    response = admin_web.post(url, posted_back(admin_web.get(url), pass_percent="90"))
    # then
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert quiz.pass_percent == 90
    line = AuditLog.objects.get(action="assessments.quiz_updated")
    assert line.actor == admin_user
    assert line.data == {"pass_percent": 90}


def test_a_question_and_its_choices_change_through_the_service(admin_web, admin_user, course):
    # given a single-choice question whose right answer is the second choice ("4")
    question = single_choice(quiz_in(course))
    url = f"/admin/assessments/question/{question.pk}/change/"
    page = admin_web.get(url)
    assert b'name="type"' not in page.content  # a question keeps its type
    first, second = question.choices.order_by("order")[:2]
    # when the key moves to the first choice
    data = posted_back(page, text="Two plus two?", **{"choices-0-is_correct": "on"})
    del data["choices-1-is_correct"]
    response = admin_web.post(url, data)
    # then
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.text == "Two plus two?"
    correct = set(question.choices.filter(is_correct=True).values_list("text", flat=True))
    assert correct == {first.text}
    assert second.text != first.text
    line = AuditLog.objects.get(action="assessments.question_updated")
    assert line.actor == admin_user
    assert line.data["fields"] == ["text", "choices"]


def test_a_grade_given_in_the_admin_goes_through_grade_submission(
    admin_web, admin_user, course, student, enrolled
):
    # given
    enrolled(student, course)
    assignment = assignment_in(course)
    submission = Submission.objects.create(
        assignment=assignment, student=student, text="work", submitted_at=timezone.now()
    )
    url = f"/admin/assessments/submission/{submission.pk}/change/"
    # when
    response = admin_web.post(
        url, posted_back(admin_web.get(url), score="95", feedback="Well done.")
    )
    # then: graded, audited and the student told
    assert response.status_code == 302
    submission.refresh_from_db()
    assert (submission.status, submission.passed, submission.graded_by) == (
        "graded",
        True,
        admin_user,
    )
    assert AuditLog.objects.filter(
        action="assessments.submission_graded", actor=admin_user
    ).exists()
    assert Notification.objects.filter(
        user=student, data__submission_id=str(submission.pk)
    ).exists()


def test_a_score_out_of_range_is_refused_with_a_message(admin_web, course, student):
    assignment = assignment_in(course)
    submission = Submission.objects.create(
        assignment=assignment, student=student, text="work", submitted_at=timezone.now()
    )
    url = f"/admin/assessments/submission/{submission.pk}/change/"
    response = admin_web.post(url, posted_back(admin_web.get(url), score="1000"))
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.score is None
