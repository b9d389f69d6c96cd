"""Staff's course queues: `GET /courses/?status=` for admins and managers (API.md), oldest
submission first, with the page's `count`; ignored for everyone else; never served from or
kept in the anonymous response cache (lms/catalog/cache.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.catalog import services
from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory, PublishedCourseFactory
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses/"
QUEUE = "/api/v1/courses/?status=pending"


@pytest.fixture
def courses():
    now = timezone.now()
    newest = CourseFactory(status=CourseStatus.PENDING, submitted_at=now - timedelta(hours=1))
    oldest = CourseFactory(status=CourseStatus.PENDING, submitted_at=now - timedelta(days=3))
    middle = CourseFactory(status=CourseStatus.PENDING, submitted_at=now - timedelta(days=1))
    published = PublishedCourseFactory()
    draft = CourseFactory(status=CourseStatus.DRAFT)
    # factories skip the services: fill the full-text documents that search reads (PostgreSQL)
    services.refresh_search_vectors(
        course_ids=[course.pk for course in (newest, oldest, middle, published, draft)]
    )
    return {"pending": [oldest, middle, newest], "published": published, "draft": draft}


def _ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.parametrize("staff", ["admin_client_api", "manager_client"])
def test_staff_list_the_review_queue_oldest_first(request, courses, staff):
    client = request.getfixturevalue(staff)
    response = client.get(QUEUE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert _ids(response) == [str(course.pk) for course in courses["pending"]]
    assert {item["status"] for item in body["results"]} == {"pending"}


@pytest.mark.parametrize("status", ["draft", "DRAFT"])
def test_staff_list_any_state(admin_client_api, courses, status):
    response = admin_client_api.get(f"{LIST}?status={status}")
    assert _ids(response) == [str(courses["draft"].pk)]


def test_other_filters_apply_within_the_queue(manager_client, courses):
    first = courses["pending"][0]
    response = manager_client.get(f"{QUEUE}&category={first.category.slug}")
    assert _ids(response) == [str(first.pk)]


def test_an_explicit_ordering_wins(admin_client_api, courses):
    response = admin_client_api.get(f"{QUEUE}&ordering=price")
    assert response.json()["count"] == 3


def test_an_unknown_status_is_400_for_staff(admin_client_api):
    response = admin_client_api.get(f"{LIST}?status=lost")
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_choice"]
    assert response.json()["errors"][0]["attr"] == "status"


@pytest.mark.parametrize("caller", ["anon_client", "student_client", "instructor_client"])
def test_status_is_ignored_for_everyone_else(request, courses, caller):
    client = request.getfixturevalue(caller)
    response = client.get(f"{LIST}?status=pending")
    assert response.status_code == 200
    assert _ids(response) == [str(courses["published"].pk)]


@pytest.mark.parametrize("caller", ["anon_client", "student_client", "instructor_client"])
def test_a_status_that_is_no_state_is_400_for_anyone(request, courses, caller):
    # The document lists the states (an enum); a value outside it is refused, not ignored.
    response = request.getfixturevalue(caller).get(f"{LIST}?status=lost")
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_choice"]


def test_the_document_lists_the_states(admin_client_api):
    schema = admin_client_api.get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/courses/"]["get"]["parameters"]
    (status,) = [p for p in parameters if p["name"] == "status"]
    assert sorted(status["schema"]["enum"]) == sorted(CourseStatus.values)


def test_staff_queue_never_comes_from_the_anonymous_cache(anon_client, admin_client_api, courses):
    # an anonymous caller fills the cache for exactly this address first
    assert _ids(anon_client.get(QUEUE)) == [str(courses["published"].pk)]
    # staff still get the queue ...
    assert admin_client_api.get(QUEUE).json()["count"] == 3
    # ... and their answer was not kept for the next anonymous caller
    assert _ids(anon_client.get(QUEUE)) == [str(courses["published"].pk)]
    assert _ids(anon_client.get("/api/v1/search/?q=Course&status=pending")) == [
        str(courses["published"].pk)
    ]


def test_staff_search_with_a_status_is_not_cached(anon_client, manager_client, courses):
    staff = manager_client.get("/api/v1/search/?q=Course&status=pending")
    assert staff.json()["count"] == 3
    anonymous = anon_client.get("/api/v1/search/?q=Course&status=pending")
    assert _ids(anonymous) == [str(courses["published"].pk)]


def test_review_queue_query_count(admin_client_api, courses, django_assert_max_num_queries):
    for _ in range(10):
        CourseFactory(status=CourseStatus.PENDING, submitted_at=timezone.now())
    with django_assert_max_num_queries(6):
        response = admin_client_api.get(QUEUE)
    assert response.json()["count"] == 13
