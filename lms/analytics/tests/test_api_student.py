"""Student analytics: study minutes across a timezone boundary, streaks, quiz scores."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from lms.assessments.models import Attempt
from lms.assessments.tests.factories import quiz_in
from lms.catalog.tests.factories import LessonFactory, PublishedCourseFactory, SectionFactory
from lms.learning.models import LessonProgress
from lms.learning.tests.factories import ActivityEventFactory, EnrollmentFactory

from .fixtures import BERLIN, at, set_timezone

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/student/"
WEEK = {"from": "2026-11-09", "to": "2026-11-12", "granularity": "day"}


@pytest.fixture
def berliner(student):
    set_timezone(student, BERLIN)
    return student


def test_an_event_at_2330_utc_counts_on_the_next_day_in_berlin(client_for, berliner):
    ActivityEventFactory(user=berliner, occurred_at=at("2026-11-10 12:00"), seconds=1200)
    ActivityEventFactory(user=berliner, occurred_at=at("2026-11-10 23:30"), seconds=600)

    body = client_for(berliner).get(URL, WEEK).json()

    assert body["timezone"] == BERLIN
    assert body["study_minutes"] == {
        "labels": ["2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12"],
        "datasets": [{"label": "minutes", "data": [0, 20, 10, 0]}],
    }


def test_the_same_events_in_utc_are_one_day(client_for, student):
    ActivityEventFactory(user=student, occurred_at=at("2026-11-10 12:00"), seconds=1200)
    ActivityEventFactory(user=student, occurred_at=at("2026-11-10 23:30"), seconds=600)

    body = client_for(student).get(URL, WEEK).json()

    assert body["study_minutes"]["datasets"][0]["data"] == [0, 30, 0, 0]


def test_streaks_are_counted_on_local_days(client_for, berliner):
    # Local days: 1 Nov; 10 Nov; 11 Nov (the 23:30 UTC event). Today is 12 Nov in Berlin.
    for when in ("2026-11-01 09:00", "2026-11-10 09:00", "2026-11-10 23:30"):
        ActivityEventFactory(user=berliner, occurred_at=at(when))

    with time_machine.travel(at("2026-11-12 08:00"), tick=False):
        body = client_for(berliner).get(URL).json()

    assert (body["current_streak"], body["longest_streak"]) == (2, 2)
    # Without `from`: the 30 days up to today, by day.
    assert body["study_minutes"]["labels"][0] == "2026-10-14"
    assert body["study_minutes"]["labels"][-1] == "2026-11-12"
    assert sum(body["study_minutes"]["datasets"][0]["data"]) == 30


def test_progress_quiz_scores_and_certificates(client_for, student):
    course = PublishedCourseFactory(title="Parsing")
    section = SectionFactory(course=course)
    first, _second = (LessonFactory(section=section) for _ in range(2))
    enrollment = EnrollmentFactory(student=student, course=course)
    LessonProgress.objects.create(
        enrollment=enrollment, lesson=first, completed_at=at("2026-11-10 10:00")
    )
    quiz = quiz_in(course)  # a third lesson
    for number, (when, percent) in enumerate(
        [("2026-11-10 10:00", "40"), ("2026-11-10 11:00", "80"), ("2026-11-12 10:00", "90")],
        start=1,
    ):
        Attempt.objects.create(
            quiz=quiz,
            student=student,
            number=number,
            started_at=at(when),
            submitted_at=at(when),
            percent=Decimal(percent),
            passed=percent != "40",
        )

    body = client_for(student).get(URL, WEEK).json()

    assert body["courses"] == [
        {
            "course_id": str(course.pk),
            "title": "Parsing",
            "status": "active",
            "progress_percent": 33.3,
            "completed_lessons": 1,
            "total_lessons": 3,
            "enrolled_at": body["courses"][0]["enrolled_at"],
        }
    ]
    assert body["quiz_scores"] == {
        "labels": ["2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12"],
        "datasets": [
            {"label": "average_score_percent", "data": [0, 60.0, 0, 90.0]},
            {"label": "attempts", "data": [0, 2, 0, 1]},
        ],
    }
    assert body["certificate_count"] == 0
    assert body["certificates"] == []


def test_anonymous_is_401(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_constant_queries(client_for, student, django_assert_max_num_queries):
    for day in range(1, 9):
        ActivityEventFactory(user=student, occurred_at=at(f"2026-11-0{day} 10:00"))
        EnrollmentFactory(student=student)
    with django_assert_max_num_queries(10):
        assert client_for(student).get(URL, WEEK).status_code == 200


def test_csv(client_for, berliner):
    ActivityEventFactory(user=berliner, occurred_at=at("2026-11-10 23:30"), seconds=600)

    response = client_for(berliner).get(URL, {**WEEK, "format": "csv"})

    assert response["Content-Disposition"] == 'attachment; filename="student-analytics.csv"'
    assert "study_minutes,2026-11-11,minutes,10" in response.content.decode().splitlines()
