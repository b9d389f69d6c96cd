from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from lms.accounts.models import StudentProfile
from lms.accounts.tests.factories import UserFactory
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CategoryFactory, PublishedCourseFactory, TagFactory
from lms.core.renderers import dumps
from lms.core.rendering import render
from lms.learning import selectors, services
from lms.learning.api import serializers as s
from lms.learning.tests.conftest import make_course
from lms.learning.tests.factories import ActivityEventFactory

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def forced_client(user) -> APIClient:
    """A client for a frozen clock (JWTs carry real timestamps)."""
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- GET /dashboard/stats/


def test_stats_count_enrollments_and_certificates(
    student, student_client, django_capture_on_commit_callbacks
):
    done = make_course(lessons=1)
    enrollment = services.enroll(student=student, course=done.course, source="free")
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_lesson(enrollment=enrollment, lesson=done.lessons[0])
    services.enroll(student=student, course=make_course().course, source="free")
    revoked = services.enroll(student=student, course=make_course().course, source="free")
    services.revoke_enrollment(enrollment=revoked, reason="refund")

    with CaptureQueriesContext(connection) as queries:
        response = student_client.get("/api/v1/dashboard/stats/")

    assert response.status_code == 200
    body = response.json()
    assert body["enrolled_count"] == 2
    assert body["completed_count"] == 1
    assert body["in_progress_count"] == 1
    assert body["certificate_count"] == 1
    assert body["current_streak"] == 1
    assert body["longest_streak"] == 1
    assert body["learning_minutes_7d"] == 10  # the completed 600-second lesson
    assert len(queries) <= 3  # the user (unless cached), counts with the timezone, study days
    # rendered fast (lms.core.rendering), as DRF renders the serializer
    stats = selectors.dashboard_stats(user=student)
    assert dumps(render(s.DashboardStatsSerializer, stats)) == dumps(
        s.DashboardStatsSerializer(stats).data
    )


def test_stats_queries_do_not_grow_with_activity(student, student_client):
    for day in range(1, 4):
        ActivityEventFactory(user=student, occurred_at=at(f"2025-01-0{day}T12:00:00"))
    student_client.get("/api/v1/dashboard/stats/")  # the user row is cached from here on
    with CaptureQueriesContext(connection) as few:
        student_client.get("/api/v1/dashboard/stats/")
    for day in range(10, 28):
        ActivityEventFactory(user=student, occurred_at=at(f"2025-01-{day}T12:00:00"))
        services.enroll(student=student, course=make_course(lessons=1).course, source="free")
    with CaptureQueriesContext(connection) as many:
        response = student_client.get("/api/v1/dashboard/stats/")
    assert response.json()["longest_streak"] == 18
    assert len(many) == len(few) == 2  # counts with the timezone, study days


def test_stats_need_a_login(anon_client):
    assert anon_client.get("/api/v1/dashboard/stats/").status_code == 401


def test_streaks_follow_the_users_timezone_across_midnight(student, time_machine):
    # given a student in Los Angeles (UTC-8 in January) studying at 23:00 and 01:00 local time:
    # one UTC day (10 January), but two local days (9 and 10 January)
    StudentProfile.objects.filter(user=student).update(timezone="America/Los_Angeles")
    utc_student = UserFactory()
    for user in (student, utc_student):
        ActivityEventFactory(user=user, occurred_at=at("2025-01-10T07:00:00"), seconds=1200)
        ActivityEventFactory(user=user, occurred_at=at("2025-01-10T09:00:00"), seconds=600)
    time_machine.move_to(at("2025-01-10T10:00:00"), tick=False)

    local = forced_client(student).get("/api/v1/dashboard/stats/").json()
    utc = forced_client(utc_student).get("/api/v1/dashboard/stats/").json()

    assert (local["current_streak"], local["longest_streak"]) == (2, 2)
    assert (utc["current_streak"], utc["longest_streak"]) == (1, 1)
    assert local["learning_minutes_7d"] == utc["learning_minutes_7d"] == 30
    assert local["timezone"] == "America/Los_Angeles"

    # still alive through the next local day (nothing studied yet on 11 January) ...
    time_machine.move_to(at("2025-01-12T07:59:00"), tick=False)  # 11 Jan, 23:59 in LA
    assert forced_client(student).get("/api/v1/dashboard/stats/").json()["current_streak"] == 2
    # ... and broken one minute after local midnight; the longest run is kept
    time_machine.move_to(at("2025-01-12T08:01:00"), tick=False)  # 12 Jan, 00:01 in LA
    body = forced_client(student).get("/api/v1/dashboard/stats/").json()
    assert (body["current_streak"], body["longest_streak"]) == (0, 2)
    # and the week's minutes leave with the days that slide out of it
    time_machine.move_to(at("2025-01-17T09:00:00"), tick=False)  # 17 Jan, 01:00 in LA
    assert forced_client(student).get("/api/v1/dashboard/stats/").json()["learning_minutes_7d"] == 0


def test_streak_arithmetic():
    from datetime import date

    days = [date(2025, 1, d) for d in (1, 2, 3, 5, 6)]
    assert selectors.streaks(days, today=date(2025, 1, 6)) == selectors.Streaks(2, 3)
    assert selectors.streaks(days, today=date(2025, 1, 7)) == selectors.Streaks(2, 3)
    assert selectors.streaks(days, today=date(2025, 1, 8)) == selectors.Streaks(0, 3)
    assert selectors.streaks([], today=date(2025, 1, 8)) == selectors.Streaks(0, 0)


def test_unknown_timezone_falls_back_to_utc(student, student_client):
    StudentProfile.objects.filter(user=student).update(timezone="Mars/Olympus")
    assert student_client.get("/api/v1/dashboard/stats/").json()["timezone"] == "UTC"


# --- GET /dashboard/continue-learning/


def test_continue_learning_points_at_the_next_incomplete_lesson(student, student_client):
    started = make_course(lessons=4)
    enrollment = services.enroll(student=student, course=started.course, source="free")
    services.complete_lesson(enrollment=enrollment, lesson=started.lessons[0])
    services.complete_lesson(enrollment=enrollment, lesson=started.lessons[2])
    services.update_lesson_position(
        enrollment=enrollment, lesson=started.lessons[1], position_seconds=0
    )
    finished = make_course(lessons=1)
    done = services.enroll(student=student, course=finished.course, source="free")
    services.complete_lesson(enrollment=done, lesson=finished.lessons[0])
    fresh = make_course(lessons=2)
    services.enroll(student=student, course=fresh.course, source="free")

    with CaptureQueriesContext(connection) as queries:
        response = student_client.get("/api/v1/dashboard/continue-learning/")

    assert response.status_code == 200
    items = response.json()["results"]
    # most recently touched first (enrolling counts); the finished course is not listed
    assert [item["course"]["id"] for item in items] == [
        str(fresh.course.pk),
        str(started.course.pk),
    ]
    assert items[1]["next_lesson"]["id"] == str(started.lessons[1].pk)
    assert items[1]["next_lesson"]["position_seconds"] == 0
    assert items[1]["progress_percent"] == 50
    assert items[0]["next_lesson"]["id"] == str(fresh.lessons[0].pk)
    assert len(queries) <= 5  # user, count, page, next lessons, resume positions


def test_continue_learning_needs_a_login(anon_client):
    assert anon_client.get("/api/v1/dashboard/continue-learning/").status_code == 401


# --- GET /dashboard/recommendations/


def _ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def test_cold_start_recommends_popular_published_courses(student, client_for):
    popular = PublishedCourseFactory(enrollment_count=50)
    middling = PublishedCourseFactory(enrollment_count=5)
    PublishedCourseFactory(status=CourseStatus.DRAFT, enrollment_count=500)
    teacher = UserFactory(role="instructor")
    own = PublishedCourseFactory(instructor=teacher, enrollment_count=900)

    response = client_for(student).get("/api/v1/dashboard/recommendations/")

    assert response.status_code == 200
    assert _ids(response) == [str(own.pk), str(popular.pk), str(middling.pk)]
    # never a course the caller teaches
    taught = client_for(teacher).get("/api/v1/dashboard/recommendations/")
    assert _ids(taught) == [str(popular.pk), str(middling.pk)]


def test_recommendations_follow_what_the_user_studies(student, student_client):
    python = CategoryFactory(name="Programming")
    django_tag = TagFactory(name="django")
    studied = make_course(category=python, tags=[django_tag]).course
    services.enroll(student=student, course=studied, source="free")
    same_category = PublishedCourseFactory(category=python, enrollment_count=1)
    shared_tag = PublishedCourseFactory(tags=[django_tag], enrollment_count=0)
    peer_choice = PublishedCourseFactory(enrollment_count=0)
    unrelated_but_popular = PublishedCourseFactory(enrollment_count=1000)
    hidden = PublishedCourseFactory(category=python, status=CourseStatus.UNPUBLISHED)
    peer = UserFactory()
    services.enroll(student=peer, course=studied, source="free")
    services.enroll(student=peer, course=peer_choice, source="free")

    ids = _ids(student_client.get("/api/v1/dashboard/recommendations/"))

    assert ids[:3] == [str(same_category.pk), str(shared_tag.pk), str(peer_choice.pk)]
    assert ids[3] == str(unrelated_but_popular.pk)
    assert str(studied.pk) not in ids
    assert str(hidden.pk) not in ids


def test_recommendations_need_a_login(anon_client):
    assert anon_client.get("/api/v1/dashboard/recommendations/").status_code == 401
