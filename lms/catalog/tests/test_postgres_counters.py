"""Races on an instructor's recounted figures (catalog.workflow.recount_instructor_figures),
which only PostgreSQL can show: concurrent publishes and review changes of one instructor's
different courses must all be counted (the profile row is locked before the recount reads)."""

from __future__ import annotations

import pytest
from django.db import connection

from lms.accounts.models import InstructorProfile
from lms.accounts.tests.factories import AdminFactory, InstructorProfileFactory
from lms.catalog import services
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory, PublishedCourseFactory
from lms.core.testing import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_of_one_instructors_courses_are_all_counted():
    profile = InstructorProfileFactory()
    reviewer = AdminFactory()
    courses = [
        CourseFactory(instructor=profile.user, status=CourseStatus.APPROVED) for _ in range(6)
    ]

    outcomes = run_at_once(
        len(courses), lambda i: services.publish_course(course=courses[i], by=reviewer)
    )

    assert [kind for kind, _ in outcomes] == ["ok"] * len(courses), outcomes
    assert InstructorProfile.objects.get(pk=profile.pk).course_count == len(courses)


@pytest.mark.django_db(transaction=True)
def test_concurrent_review_changes_on_one_instructors_courses_are_all_counted():
    from django.db import transaction

    profile = InstructorProfileFactory()
    courses = [PublishedCourseFactory(instructor=profile.user) for _ in range(5)]

    def review(i):
        with transaction.atomic():
            services.set_review_figures(course_id=courses[i].pk, rating=4.0, review_count=i + 1)

    outcomes = run_at_once(len(courses), review)

    assert [kind for kind, _ in outcomes] == ["ok"] * len(courses), outcomes
    figures = InstructorProfile.objects.get(pk=profile.pk)
    assert (figures.review_count, figures.rating) == (15, 4.0)
