"""The community demo seeder: reviews, a reply, a Q&A thread with an accepted answer; twice."""

from __future__ import annotations

import io

import pytest

from lms.accounts.tests.factories import UserFactory
from lms.catalog.models import Course
from lms.catalog.tests.factories import LessonFactory, PublishedCourseFactory, SectionFactory
from lms.community import demo
from lms.community.models import Discussion, LessonComment, Review, ReviewReply
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
