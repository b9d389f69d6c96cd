"""Every analytics endpoint refuses a period it cannot build, whichever of `from` and `to`
is given: 400 in the error shape with the rule's code, never a 500 or a huge answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from lms.catalog.tests.factories import CourseFactory
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

TODAY = "2026-12-01 12:00:00+00:00"


@pytest.fixture
def endpoints(student: Any, instructor: Any, admin_user: Any) -> dict[str, tuple[Any, str]]:
    course = CourseFactory(instructor=instructor)
    return {
        "student": (student, "/api/v1/analytics/student/"),
        "instructor": (instructor, "/api/v1/analytics/instructor/"),
        "course": (instructor, f"/api/v1/analytics/courses/{course.pk}/"),
        "platform": (admin_user, "/api/v1/analytics/platform/"),
    }


HOSTILE = [
    # One date alone, far away: the limits apply after the defaults are filled in.
    ({"from": "0001-01-01"}, "from", "out_of_range"),
    ({"to": "9999-12-31"}, "to", "out_of_range"),
    ({"to": "0001-01-01"}, "to", "out_of_range"),
    ({"from": "9999-12-31"}, "from", "out_of_range"),
    ({"from": "9999-12-01", "to": "9999-12-30", "granularity": "week"}, "from", "out_of_range"),
    ({"from": "0001-01-01", "to": "0001-01-31", "granularity": "month"}, "from", "out_of_range"),
    ({"from": "1969-12-31", "to": "1970-01-10"}, "from", "out_of_range"),
    ({"to": "2028-01-01", "granularity": "month"}, "to", "out_of_range"),
    # Within the calendar, but after today, or too long, with one date given.
    ({"from": "2027-01-01"}, "from", "invalid_range"),
    ({"from": "2020-01-01", "granularity": "day"}, "from", "range_too_long"),
    ({"from": "2020-01-01", "granularity": "week"}, "from", "invalid_range_or_ok"),
    ({"from": "1970-01-01", "granularity": "week"}, "from", "range_too_long"),
    ({"to": "2026-12-01", "from": "2026-12-02"}, "from", "invalid_range"),
]


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("endpoint", ["student", "instructor", "course", "platform"])
@pytest.mark.parametrize(("params", "attr", "code"), HOSTILE)
def test_hostile_periods_are_400_naming_the_rule(
    client_for: Callable[[Any], Any],
    endpoints: dict[str, tuple[Any, str]],
    endpoint: str,
    fmt: str,
    params: dict[str, str],
    attr: str,
    code: str,
) -> None:
    user, url = endpoints[endpoint]
    with time_machine.travel(TODAY, tick=False):
        response = client_for(user).get(url, {**params, "format": fmt})

    if code == "invalid_range_or_ok":  # 2020-01 .. today by week: 361 weeks, allowed
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "validation_error"
    assert [error["attr"] for error in body["errors"]] == [attr]
    assert error_codes(response) == [code]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "1970-01-01", "to": "1970-01-31"},
        {"to": "1970-01-01"},
        {"to": "2027-12-02", "granularity": "month"},
        {"from": "2025-12-01", "granularity": "day"},
    ],
)
def test_the_edges_of_the_allowed_range_answer(
    client_for: Callable[[Any], Any], endpoints: dict[str, tuple[Any, str]], params: Any
) -> None:
    for user, url in endpoints.values():
        with time_machine.travel(TODAY, tick=False):
            response = client_for(user).get(url, params)
        assert response.status_code == 200, (url, response.content[:200])
        labels = response.json()["enrollments" if "student" not in url else "study_minutes"]
        assert 0 < len(labels["labels"]) <= 731
