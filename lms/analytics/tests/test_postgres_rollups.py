"""The rollups on PostgreSQL (lms/analytics/rollups.py): each counter moves with the write
that changes its source, through the service that makes it, and shows in the next answer;
the triggers' running totals equal a rebuild from the sources."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.db import connection

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.analytics import rollups
from lms.analytics.models import (
    CourseEnrollments,
    EnrollmentBuckets,
    EnrollmentDays,
    LessonCompletions,
    RevenueBucket,
    RevenueTotal,
)
from lms.learning import services as learning
from lms.learning.models import Enrollment, EnrollmentStatus
from lms.learning.tests.factories import EnrollmentFactory
from lms.payouts import services as payouts

from .fixtures import at, order_item, refund, sell, teaching

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30", "granularity": "month"}


@pytest.fixture(autouse=True)
def _no_answer_cache(settings: Any) -> None:
    settings.ANALYTICS_CACHE_SECONDS = 0  # every request reads the rollups


@pytest.fixture
def data() -> Any:
    return teaching()


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row (zero rows left out: a trigger may leave a key at 0)."""
    return {
        "lessons": sorted(
            LessonCompletions.objects.exclude(completed=0).values_list(
                "lesson_id", "course_id", "completed"
            )
        ),
        "courses": sorted(
            CourseEnrollments.objects.exclude(enrollments=0, completed=0).values_list(
                "course_id", "enrollments", "completed"
            )
        ),
        "days": sorted(
            EnrollmentDays.objects.exclude(enrollments=0).values_list(
                "course_id", "day", "enrollments"
            )
        ),
        "buckets of enrollments": sorted(
            EnrollmentBuckets.objects.exclude(enrollments=0).values_list(
                "course_id", "bucket", "quarter", "enrollments"
            )
        ),
        "totals": sorted(
            RevenueTotal.objects.exclude(gross=0, fees=0, net=0, refunded=0).values_list(
                "scope_id", "item_kind", "course_id", "currency", "gross", "fees", "net", "refunded"
            )
        ),
        "buckets": sorted(
            RevenueBucket.objects.exclude(gross=0, fees=0, net=0, refunded=0).values_list(
                "scope_id", "course_id", "currency", "bucket", "gross", "fees", "net", "refunded"
            )
        ),
    }


def course_answer(client: Any, course: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/analytics/courses/{course.pk}/", NOVEMBER)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def test_the_triggers_totals_equal_a_rebuild_from_the_sources(data):
    co = InstructorFactory()
    data.course.co_instructors.add(co)
    shared = order_item(
        buyer=data.students[2], instructor=data.instructor, amount="80.00", course=data.course
    )
    sell(shared, when=at("2026-11-21 08:00"), splits=[(data.instructor, 70), (co, 30)])
    # released to available, then refunded: the reversal takes the shares back from the
    # available balances (other legs than the sale's)
    with time_machine.travel(at("2026-12-30 08:00"), tick=False):
        payouts.release_matured_earnings()
    refund(shared, when=at("2026-12-30 09:00"))
    learning.revoke_enrollment(
        enrollment=Enrollment.objects.get(student=data.students[0]), reason="x"
    )
    by_triggers = snapshot()

    rollups.rebuild()

    assert snapshot() == by_triggers
    assert all(by_triggers.values()), by_triggers


def test_a_completed_lesson_shows_in_the_next_funnel(client_for, data):
    client = client_for(data.instructor)
    assert [step["completed"] for step in course_answer(client, data.course)["funnel"]] == [3, 1, 1]
    enrollment = Enrollment.objects.get(student=data.students[2], course=data.course)

    learning.mark_lesson_complete(
        user=data.students[2], enrollment_id=enrollment.pk, lesson_id=data.lessons[1].pk
    )

    funnel = course_answer(client, data.course)["funnel"]
    assert [(step["completed"], step["drop"]) for step in funnel] == [(3, 0), (2, 1), (1, 1)]


def test_a_revoked_enrollment_leaves_the_counts_and_the_funnel(client_for, data):
    client = client_for(data.instructor)
    enrollment = Enrollment.objects.get(student=data.students[0], course=data.course)

    learning.revoke_enrollment(enrollment=enrollment, reason="refund")

    body = course_answer(client, data.course)
    assert body["course"]["enrollments"] == 2
    assert body["course"]["completed"] == 0
    assert [step["completed"] for step in body["funnel"]] == [2, 0, 0]
    assert CourseEnrollments.objects.get(course_id=data.course.pk).enrollments == 2


def test_a_new_enrollment_counts_at_once(client_for, data):
    """Enrolled 2026-11-30 23:30 UTC: 1 December in Berlin (a day the month's edge cuts)."""
    with time_machine.travel(at("2026-11-30 23:30"), tick=False):
        learning.enroll(student=UserFactory(), course=data.course, source="free")
    with time_machine.travel(at("2027-01-05 10:00"), tick=False):  # after the range
        learning.enroll(student=UserFactory(), course=data.course, source="free")

    body = (
        client_for(data.instructor)
        .get(
            "/api/v1/analytics/instructor/",
            {"from": "2026-10-01", "to": "2026-12-31", "granularity": "month"},
        )
        .json()
    )
    assert body["total_enrollments"] == 5
    assert [c["enrollments"] for c in body["courses"] if c["title"] == "Compilers"] == [5]
    # October 1 (15 Oct), November 2 (31 Oct 23:30 UTC, 20 Nov), December 1 (30 Nov 23:30 UTC)
    assert body["enrollments"]["datasets"][0]["data"] == [1, 2, 1]


def test_a_sale_and_its_refund_show_in_every_view(client_for, admin_user, data):
    """A new sale of 60.00 on 2026-11-25 (fee 9.00, net 51.00), then refunded the same day."""
    item = order_item(
        buyer=data.students[3], instructor=data.instructor, amount="60.00", course=data.course
    )
    sell(item, when=at("2026-11-25 10:00"))
    instructor = client_for(data.instructor).get("/api/v1/analytics/instructor/", NOVEMBER).json()
    assert instructor["revenue"] == [
        {"currency": "USD", "gross": "200.00", "fees": "30.00", "net": "170.00"}
    ]
    course = course_answer(client_for(data.instructor), data.course)
    assert course["course"]["revenue"] == [
        {"currency": "USD", "gross": "160.00", "fees": "24.00", "net": "136.00"}
    ]

    refund(item, when=at("2026-11-25 12:00"))

    admin = client_for(admin_user)
    platform = admin.get("/api/v1/analytics/platform/", NOVEMBER).json()
    assert platform["revenue"] == [
        {"currency": "USD", "gross": "140.00", "fees": "21.00", "net": "119.00"}
    ]
    assert platform["refund_series"]["datasets"] == [
        {"label": "refunds", "currency": "USD", "data": ["110.00"]}
    ]
    course = course_answer(client_for(data.instructor), data.course)
    assert course["course"]["revenue"] == [
        {"currency": "USD", "gross": "100.00", "fees": "15.00", "net": "85.00"}
    ]


def test_an_enrollment_created_without_progress_has_a_zero_funnel(client_for):
    """Rows written by factories (no service) are counted too: the triggers see every write."""
    enrollment = EnrollmentFactory(status=EnrollmentStatus.ACTIVE)
    assert CourseEnrollments.objects.get(course_id=enrollment.course_id).enrollments == 1
    assert not LessonCompletions.objects.filter(course_id=enrollment.course_id).exists()
