"""Enrollment series across a timezone boundary, hand-counted, on both paths: PostgreSQL
(the day and 15-minute rollups, `selectors.enrollment_series`) and SQLite (the rows).

Kolkata is UTC+05:30 all year: its midnight is 18:30 UTC, inside a UTC day and on a
15-minute edge. Los Angeles leaves daylight saving time on Sunday 1 November 2026 at
02:00 PDT: 1 November starts at 07:00 UTC (-07:00) and 2 November at 08:00 UTC (-08:00),
so that local day is 25 hours long."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from lms.accounts.tests.factories import InstructorFactory
from lms.analytics import rollups
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory
from lms.learning.models import EnrollmentStatus
from lms.learning.tests.factories import EnrollmentFactory

from .fixtures import at, set_timezone

pytestmark = pytest.mark.django_db

INSTRUCTOR_URL = "/api/v1/analytics/instructor/"

# UTC instant -> the local day it falls on (comment), per zone.
KOLKATA = [
    "2026-10-31 18:29",  # 31 Oct 23:59 IST
    "2026-10-31 18:30",  # 1 Nov 00:00 IST
    "2026-11-01 18:29",  # 1 Nov 23:59 IST
    "2026-11-01 18:30",  # 2 Nov 00:00 IST
    "2026-11-01 18:44",  # 2 Nov 00:14 IST (the same 15-minute bucket as 18:30)
    "2026-11-02 12:00",  # 2 Nov 17:30 IST
    "2026-11-02 18:30",  # 3 Nov 00:00 IST
    "2026-11-03 18:29",  # 3 Nov 23:59 IST
    "2026-11-03 18:30",  # 4 Nov 00:00 IST
]
LOS_ANGELES = [
    "2026-10-31 12:00",  # 31 Oct 05:00 PDT
    "2026-11-01 06:59",  # 31 Oct 23:59 PDT
    "2026-11-01 07:00",  # 1 Nov 00:00 PDT
    "2026-11-02 07:30",  # 1 Nov 23:30 PST (2 Nov 00:30 at the summer offset)
    "2026-11-02 08:00",  # 2 Nov 00:00 PST
]

KAMCHATKA = [  # UTC+12 all year: its midnight is UTC noon
    "2026-10-31 11:59",  # 31 Oct 23:59
    "2026-10-31 12:00",  # 1 Nov 00:00
    "2026-11-01 00:00",  # 1 Nov 12:00
    "2026-11-01 11:59",  # 1 Nov 23:59
    "2026-11-01 12:00",  # 2 Nov 00:00
]


def teaching_in(zone: str, instants: list[str]) -> tuple[Any, Any]:
    """An instructor in `zone` with one course enrolled at `instants` (UTC), plus one revoked
    enrollment at the first instant that no figure counts."""
    instructor = InstructorFactory()
    set_timezone(instructor, zone)
    course = CourseFactory(instructor=instructor, status=CourseStatus.PUBLISHED)
    for instant in instants:
        EnrollmentFactory(course=course, enrolled_at=at(instant))
    EnrollmentFactory(course=course, enrolled_at=at(instants[0]), status=EnrollmentStatus.REVOKED)
    return instructor, course


def series(client: Any, url: str, **params: str) -> dict[str, int]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    enrollments = response.json()["enrollments"]
    return dict(zip(enrollments["labels"], enrollments["datasets"][0]["data"], strict=True))


def test_kolkata_days_and_months_are_cut_at_18_30_utc(client_for):
    instructor, course = teaching_in("Asia/Kolkata", KOLKATA)
    client = client_for(instructor)

    by_day = {"from": "2026-11-01", "to": "2026-11-03", "granularity": "day"}
    by_month = {"from": "2026-10-01", "to": "2026-11-30", "granularity": "month"}
    for url in (INSTRUCTOR_URL, f"/api/v1/analytics/courses/{course.pk}/"):
        assert series(client, url, **by_day) == {
            "2026-11-01": 2,
            "2026-11-02": 3,
            "2026-11-03": 2,
        }
        assert series(client, url, **by_month) == {"2026-10": 1, "2026-11": 8}


def test_kolkata_over_more_cut_days_than_the_edge_limit(client_for):
    """64 days, 65 cut UTC days: on PostgreSQL the whole series comes from the buckets."""
    instructor, _ = teaching_in("Asia/Kolkata", KOLKATA)

    over = {"from": "2026-09-01", "to": "2026-11-03", "granularity": "day"}
    days = series(client_for(instructor), INSTRUCTOR_URL, **over)

    assert len(days) == 64
    assert {day: n for day, n in days.items() if n} == {
        "2026-10-31": 1,
        "2026-11-01": 2,
        "2026-11-02": 3,
        "2026-11-03": 2,
    }


def test_los_angeles_across_the_end_of_daylight_saving_time(client_for):
    instructor, course = teaching_in("America/Los_Angeles", LOS_ANGELES)
    client = client_for(instructor)

    by_day = {"from": "2026-10-31", "to": "2026-11-02", "granularity": "day"}
    by_week = {"from": "2026-10-26", "to": "2026-11-08", "granularity": "week"}
    by_month = {"from": "2026-10-01", "to": "2026-11-30", "granularity": "month"}
    for url in (INSTRUCTOR_URL, f"/api/v1/analytics/courses/{course.pk}/"):
        assert series(client, url, **by_day) == {
            "2026-10-31": 2,
            "2026-11-01": 2,
            "2026-11-02": 1,
        }
        # weeks from Monday 26 October and Monday 2 November (08:00 UTC)
        assert series(client, url, **by_week) == {"2026-10-26": 4, "2026-11-02": 1}
        assert series(client, url, **by_month) == {"2026-10": 2, "2026-11": 3}


def test_a_midnight_at_utc_noon(client_for):
    instructor, _ = teaching_in("Asia/Kamchatka", KAMCHATKA)

    by_day = {"from": "2026-11-01", "to": "2026-11-02", "granularity": "day"}
    assert series(client_for(instructor), INSTRUCTOR_URL, **by_day) == {
        "2026-11-01": 3,
        "2026-11-02": 1,
    }


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_a_series_counts_the_same_under_a_generic_plan(client_for):
    """psycopg prepares a query run twice on a connection, and PostgreSQL may then plan it
    once for any parameters (a generic plan; the bench switched to one after five runs). Here
    every prepared run is generic (for this test's transaction only): the answers stay the
    hand-counted ones, on both paths (a few cut days, and more than MAX_EDGE_DAYS)."""
    instructor, _ = teaching_in("Asia/Kolkata", KOLKATA)
    client = client_for(instructor)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")

    few = {"from": "2026-11-01", "to": "2026-11-03", "granularity": "day"}
    many = {"from": "2026-09-01", "to": "2026-11-03", "granularity": "day"}
    for _ in range(4):
        assert series(client, INSTRUCTOR_URL, **few) == {
            "2026-11-01": 2,
            "2026-11-02": 3,
            "2026-11-03": 2,
        }
        days = series(client, INSTRUCTOR_URL, **many)
        assert {day: n for day, n in days.items() if n} == {
            "2026-10-31": 1,
            "2026-11-01": 2,
            "2026-11-02": 3,
            "2026-11-03": 2,
        }


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_the_enrollment_rollups_equal_a_rebuild():
    teaching_in("Asia/Kolkata", KOLKATA)
    teaching_in("America/Los_Angeles", LOS_ANGELES)
    from .test_postgres_rollups import snapshot

    by_triggers = snapshot()

    rollups.rebuild()

    assert snapshot() == by_triggers
    # 14 enrollments counted in 13 buckets (18:30 and 18:44 share one)
    buckets = by_triggers["buckets of enrollments"]
    assert (len(buckets), sum(row[3] for row in buckets)) == (13, 14)
    # the 18:30 UTC bucket is the 74th quarter hour of its day (from 0)
    assert {row[2] for row in buckets if row[1] == at("2026-11-01 18:30")} == {74}
