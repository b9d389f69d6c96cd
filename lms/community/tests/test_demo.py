"""The community demo seeder: reviews, a reply, a Q&A thread with an accepted answer and the
moderation queue's reports; twice."""

from __future__ import annotations

import io

import pytest

from lms.accounts.models import Role
from lms.accounts.tests.factories import UserFactory
from lms.catalog.models import Course
from lms.catalog.tests.factories import LessonFactory, PublishedCourseFactory, SectionFactory
from lms.community import demo
from lms.community.models import (
    Discussion,
    DiscussionReply,
    ItemKind,
    LessonComment,
    Report,
    ReportDecision,
    ReportStatus,
    Review,
    ReviewReply,
    Visibility,
)
from lms.learning.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def test_the_seeder_makes_reviews_and_an_answered_question_once(instructor):
    course = PublishedCourseFactory(slug=demo.COURSE_SLUG, instructor=instructor)
    LessonFactory(section=SectionFactory(course=course), course=course)
    for email in demo.REVIEWS:
        EnrollmentFactory(student=UserFactory(email=email), course=course)

    for _ in range(2):
        demo.seed(io.StringIO())

    assert Review.objects.count() == 2
    assert ReviewReply.objects.count() == 1
    question = Discussion.objects.get()
    assert question.accepted_reply is not None
    assert question.is_resolved
    assert LessonComment.objects.count() == 2
    fresh = Course.objects.get(pk=course.pk)
    assert (fresh.rating, fresh.review_count) == (4.5, 2)


def test_the_seeder_skips_without_its_course():
    out = io.StringIO()
    demo.seed(out)
    assert "skipped" in out.getvalue()


def test_the_seeder_fills_the_moderation_queue_once(instructor, client_for):
    # given: the demo course, its two students and a manager
    course = PublishedCourseFactory(slug=demo.COURSE_SLUG, instructor=instructor)
    LessonFactory(section=SectionFactory(course=course), course=course)
    for email in demo.REVIEWS:
        EnrollmentFactory(student=UserFactory(email=email), course=course)
    manager = UserFactory(role=Role.MANAGER, is_staff=True)

    # when: seeded twice
    for _ in range(2):
        demo.seed(io.StringIO())

    # then: a report in each state, made and decided once
    assert sorted(Report.objects.values_list("kind", "status", "decision")) == [
        (ItemKind.REPLY, ReportStatus.RESOLVED, ReportDecision.DISMISSED),
        (ItemKind.REPLY, ReportStatus.RESOLVED, ReportDecision.HIDDEN),
        (ItemKind.REVIEW, ReportStatus.OPEN, ""),
    ]
    spam = DiscussionReply.objects.get(body=demo.SPAM_REPLY)
    assert spam.visibility == Visibility.HIDDEN
    assert Discussion.objects.get().reply_count == 2  # the hidden advert is not counted
    queue = client_for(manager).get("/api/v1/moderation/reports/")
    assert queue.status_code == 200
    assert [row["kind"] for row in queue.json()["results"]] == ["review"]
    fresh = Course.objects.get(pk=course.pk)
    assert (fresh.rating, fresh.review_count) == (4.5, 2)  # the reported review still counts
