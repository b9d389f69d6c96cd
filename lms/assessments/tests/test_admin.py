"""The admin lists and opens every assessments model for staff."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from lms.assessments import services
from lms.assessments.models import Submission
from lms.assessments.tests.factories import assignment_in, correct_ids, quiz_in, single_choice

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
