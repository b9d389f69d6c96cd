"""Concurrent writers of the same rollup rows (lms/analytics/rollups.py), which only
PostgreSQL can show: eight enrollments, lesson completions and revocations, or sales and
refunds of one course at once all land (no deadlock, no error, no lost update), and the
triggers' running totals equal a rebuild from the sources."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.analytics import rollups
from lms.analytics.models import (
    NONE,
    CourseEnrollments,
    EnrollmentDays,
    LessonCompletions,
    RevenueTotal,
)
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.core.testing import run_at_once
from lms.learning import services as learning
from lms.learning.models import Enrollment
from lms.payouts import services as payouts
from lms.payouts.services import LedgerReference

from .fixtures import order_item
from .test_postgres_rollups import snapshot

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

WRITERS = 8


def all_ok(outcomes: list[Any]) -> bool:
    return [outcome[0] if outcome else None for outcome in outcomes] == ["ok"] * len(outcomes)


def equals_a_rebuild() -> dict[str, list[tuple[Any, ...]]]:
    by_triggers = snapshot()
    rollups.rebuild()
    assert snapshot() == by_triggers
    return by_triggers


def published_course(lessons: int = 0) -> tuple[Any, list[Any]]:
    course = CourseFactory(instructor=InstructorFactory(), status=CourseStatus.PUBLISHED)
    section = SectionFactory(course=course, order=1)
    return course, [LessonFactory(section=section, order=n) for n in range(lessons)]


def test_enrollments_in_one_course_at_once_are_all_counted():
    course, _ = published_course()
    students = [UserFactory() for _ in range(WRITERS)]

    outcomes = run_at_once(
        WRITERS, lambda i: learning.enroll(student=students[i], course=course, source="free")
    )

    assert all_ok(outcomes), outcomes
    equals_a_rebuild()
    assert CourseEnrollments.objects.get(course_id=course.pk).enrollments == WRITERS
    days = EnrollmentDays.objects.filter(course_id=course.pk)
    assert sum(days.values_list("enrollments", flat=True)) == WRITERS


def test_completions_and_revocations_of_one_lesson_at_once():
    """Six students complete the first lesson while two others, who completed it already,
    are revoked: the lesson's count ends at 6 + 2 - 2."""
    course, (lesson, _) = published_course(lessons=2)
    enrollments = [
        learning.enroll(student=UserFactory(), course=course, source="free") for _ in range(WRITERS)
    ]
    for enrollment in enrollments[6:]:
        learning.mark_lesson_complete(
            user=enrollment.student, enrollment_id=enrollment.pk, lesson_id=lesson.pk
        )

    def write(i: int) -> Any:
        enrollment = enrollments[i]
        if i < 6:
            return learning.mark_lesson_complete(
                user=enrollment.student, enrollment_id=enrollment.pk, lesson_id=lesson.pk
            )
        return learning.revoke_enrollment(
            enrollment=Enrollment.objects.get(pk=enrollment.pk), reason="race"
        )

    outcomes = run_at_once(WRITERS, write)

    assert all_ok(outcomes), outcomes
    equals_a_rebuild()
    assert LessonCompletions.objects.get(lesson_id=lesson.pk).completed == 6
    counted = CourseEnrollments.objects.get(course_id=course.pk)
    assert (counted.enrollments, counted.completed) == (6, 0)


def test_sales_and_refunds_of_one_course_at_once():
    """Four sales of 100.00 split 70/30 with a co-instructor are posted while four earlier
    ones are refunded: every view's totals come to the four that stay (fee 15 %)."""
    course, _ = published_course()
    owner, co = course.instructor, InstructorFactory()
    course.co_instructors.add(co)
    splits = [(owner, 70), (co, 30)]
    items = [
        order_item(buyer=UserFactory(), instructor=owner, amount="100.00", course=course)
        for _ in range(WRITERS)
    ]

    def sell(item: Any) -> Any:
        return payouts.credit_sale_earnings(
            reference=LedgerReference.of(item), amount_paid=item.paid, splits=splits
        )

    for item in items[4:]:
        sell(item)

    def write(i: int) -> Any:
        if i < 4:
            return sell(items[i])
        return payouts.reverse_sale_earnings(
            reference=LedgerReference.of(items[i]),
            refund_reference=LedgerReference(type="commerce.refund", id=f"race-{i}"),
        )

    outcomes = run_at_once(WRITERS, write)

    assert all_ok(outcomes), outcomes
    equals_a_rebuild()
    totals = {
        row.scope_id: (row.gross, row.fees, row.net, row.refunded)
        for row in RevenueTotal.objects.filter(course_id=course.pk)
    }
    assert {scope: figures[:3] for scope, figures in totals.items()} == {
        NONE: (400, 60, 340),
        owner.pk: (400, 60, 238),
        co.pk: (400, 60, 102),
    }
    assert totals[NONE][3] == 400
