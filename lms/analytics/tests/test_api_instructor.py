"""Instructor and course analytics, checked against the hand-counted `fixtures.teaching`."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from lms.accounts.tests.factories import InstructorFactory
from lms.conftest import error_codes

from .fixtures import at, teaching

pytestmark = pytest.mark.django_db

INSTRUCTOR_URL = "/api/v1/analytics/instructor/"
NOVEMBER = {"from": "2026-10-01", "to": "2026-11-30", "granularity": "month"}


def course_url(course: Any) -> str:
    return f"/api/v1/analytics/courses/{course.pk}/"


@pytest.fixture
def data() -> Any:
    return teaching()


def test_instructor_figures_match_the_hand_counted_fixture(client_for, data):
    response = client_for(data.instructor).get(INSTRUCTOR_URL, NOVEMBER)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["total_courses"] == 2
    assert body["published_courses"] == 1
    assert body["total_enrollments"] == 3
    assert body["average_rating"] == 4.5
    assert body["total_reviews"] == 2
    assert body["rating_distribution"] == {
        "labels": ["1", "2", "3", "4", "5"],
        "counts": [0, 0, 0, 1, 1],
    }
    # Course sales only plus the tutoring lesson: 100 + 50 - 50 + 40.
    assert body["revenue"] == [
        {"currency": "USD", "gross": "140.00", "fees": "21.00", "net": "119.00"}
    ]
    # The 23:30 UTC enrollment of 31 October is 1 November in Berlin; the revoked one is out.
    assert body["enrollments"] == {
        "labels": ["2026-10", "2026-11"],
        "datasets": [{"label": "enrollments", "data": [1, 2]}],
    }
    # The 100.00 sale at 23:30 UTC on 31 October is November's in Berlin.
    assert body["revenue_series"] == {
        "labels": ["2026-10", "2026-11"],
        "datasets": [
            {"label": "gross", "currency": "USD", "data": ["0.00", "140.00"]},
            {"label": "fees", "currency": "USD", "data": ["0.00", "21.00"]},
            {"label": "net", "currency": "USD", "data": ["0.00", "119.00"]},
        ],
    }
    compilers, interpreters = body["courses"]
    assert compilers == {
        "course_id": str(data.course.pk),
        "title": "Compilers",
        "status": "published",
        "enrollments": 3,
        "completed": 1,
        "completion_rate": 33.33,
        "average_rating": 4.5,
        "reviews": 2,
        "drop_off_lesson": {"id": str(data.lessons[1].pk), "title": "Lesson 2"},
        "revenue": [{"currency": "USD", "gross": "100.00", "fees": "15.00", "net": "85.00"}],
    }
    assert interpreters["enrollments"] == 0
    assert interpreters["completion_rate"] == 0
    assert interpreters["drop_off_lesson"] is None
    assert interpreters["revenue"] == []
    assert [(q["attempts"], q["passed"], q["pass_rate"]) for q in body["quiz_pass_rates"]] == [
        (3, 2, 66.67)
    ]
    assert body["tutoring"] == {
        "sessions": 2,
        "hours": 1.5,
        "earnings": [{"currency": "USD", "gross": "40.00", "fees": "6.00", "net": "34.00"}],
    }


def test_in_utc_the_same_sale_and_enrollment_fall_in_october(client_for):
    data = teaching(timezone="UTC")

    body = client_for(data.instructor).get(INSTRUCTOR_URL, NOVEMBER).json()

    assert body["enrollments"]["datasets"][0]["data"] == [2, 1]
    gross = body["revenue_series"]["datasets"][0]
    assert gross["data"] == ["100.00", "40.00"]


def test_empty_periods_are_zeros_and_an_instructor_without_anything_gets_zeros(client_for):
    nobody = InstructorFactory()

    body = (
        client_for(nobody)
        .get(INSTRUCTOR_URL, {"from": "2026-11-28", "to": "2026-12-01", "granularity": "day"})
        .json()
    )

    assert body["enrollments"] == {
        "labels": ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"],
        "datasets": [{"label": "enrollments", "data": [0, 0, 0, 0]}],
    }
    assert body["revenue_series"] == {
        "labels": ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"],
        "datasets": [],
    }
    assert body["total_courses"] == 0
    assert body["average_rating"] == 0
    assert body["revenue"] == []
    assert body["tutoring"] == {"sessions": 0, "hours": 0, "earnings": []}


def test_weeks_start_on_monday_and_from_widens_to_whole_periods(client_for, data):
    body = (
        client_for(data.instructor)
        .get(INSTRUCTOR_URL, {"from": "2026-11-04", "to": "2026-11-20", "granularity": "week"})
        .json()
    )

    # 4 Nov 2026 is a Wednesday: the first week starts on Monday 2 Nov.
    assert body["enrollments"]["labels"] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert body["enrollments"]["datasets"][0]["data"] == [0, 0, 1]


def test_default_range_is_the_last_twelve_months_in_the_users_timezone(client_for, data):
    with time_machine.travel(at("2026-12-31 23:30"), tick=False):  # 1 January in Berlin
        body = client_for(data.instructor).get(INSTRUCTOR_URL).json()

    assert body["granularity"] == "month"
    assert body["enrollments"]["labels"][0] == "2026-02"
    assert body["enrollments"]["labels"][-1] == "2027-01"
    assert len(body["enrollments"]["labels"]) == 12


def test_course_analytics_for_its_instructor(client_for, data):
    response = client_for(data.instructor).get(course_url(data.course), NOVEMBER)

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(step["title"], step["completed"], step["drop"]) for step in body["funnel"]] == [
        ("Lesson 1", 3, 0),
        ("Lesson 2", 1, 2),
        ("Lesson 3", 1, 0),
    ]
    assert [step["position"] for step in body["funnel"]] == [1, 2, 3]
    assert body["course"]["completion_rate"] == 33.33
    assert body["enrollments"]["datasets"][0]["data"] == [1, 2]
    assert body["rating_distribution"]["counts"] == [0, 0, 0, 1, 1]
    assert body["revenue_series"]["datasets"][0] == {
        "label": "gross",
        "currency": "USD",
        "data": ["0.00", "100.00"],
    }
    assert body["course"]["revenue"] == [
        {"currency": "USD", "gross": "100.00", "fees": "15.00", "net": "85.00"}
    ]


def test_course_analytics_by_slug(client_for, data):
    response = client_for(data.instructor).get(f"/api/v1/analytics/courses/{data.course.slug}/")

    assert response.status_code == 200
    assert response.json()["course"]["title"] == "Compilers"


def test_co_instructor_sees_the_course_with_their_own_net(client_for, data):
    co = InstructorFactory()
    data.course.co_instructors.add(co)

    body = client_for(co).get(course_url(data.course), NOVEMBER).json()

    # Gross and fees are the course's; the co-instructor has no share of these sales.
    assert body["course"]["revenue"] == [
        {"currency": "USD", "gross": "100.00", "fees": "15.00", "net": "0.00"}
    ]


def test_permissions(anon_client, client_for, student, data):
    assert anon_client.get(INSTRUCTOR_URL).status_code == 401
    assert anon_client.get(course_url(data.course)).status_code == 401
    assert client_for(student).get(INSTRUCTOR_URL).status_code == 403
    assert client_for(student).get(course_url(data.course)).status_code == 403
    other = client_for(InstructorFactory()).get(course_url(data.course))
    assert other.status_code == 404
    assert error_codes(other) == ["not_found"]


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"granularity": "year"}, "granularity"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01", "granularity": "day"}, "from"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_parameters_are_400_in_the_error_shape(client_for, instructor, params, attr):
    response = client_for(instructor).get(INSTRUCTOR_URL, params)

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [error["attr"] for error in body["errors"]] == [attr]


def test_csv_gives_the_same_figures(client_for, data):
    response = client_for(data.instructor).get(INSTRUCTOR_URL, {**NOVEMBER, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="instructor-analytics.csv"'
    lines = response.content.decode().splitlines()
    assert lines[0] == "figure,period,series,value"
    assert "total_enrollments,,,3" in lines
    assert "enrollments,2026-10,enrollments,1" in lines
    assert "enrollments,2026-11,enrollments,2" in lines
    assert "revenue_series,2026-11,net USD,119.00" in lines
    assert "rating_distribution,5,count,1" in lines
    assert "courses[0] Compilers.completion_rate,,,33.33" in lines
    assert "courses[0] Compilers.drop_off_lesson.title,,,Lesson 2" in lines


def test_constant_queries_and_a_cached_second_answer(
    client_for, data, django_assert_max_num_queries
):
    client = client_for(data.instructor)
    # Authentication (user, profile) plus the selector's fixed set, whatever the data.
    with django_assert_max_num_queries(16):
        first = client.get(INSTRUCTOR_URL, NOVEMBER)
    teaching()  # more courses and sales of another instructor change nothing here
    with django_assert_max_num_queries(3):
        second = client.get(INSTRUCTOR_URL, NOVEMBER)
    assert second.json() == first.json()


def test_course_analytics_queries_are_constant(client_for, data, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert client_for(data.instructor).get(course_url(data.course)).status_code == 200


def test_the_cache_is_per_user(client_for, data):
    other = InstructorFactory()
    client_for(data.instructor).get(INSTRUCTOR_URL, NOVEMBER)

    body = client_for(other).get(INSTRUCTOR_URL, NOVEMBER).json()

    assert body["total_courses"] == 0
    assert body["revenue"] == []
