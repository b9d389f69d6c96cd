"""The count of a public course list is kept under the catalog's version (catalog.cache):
every page and ordering of one filter, and callers whose answer is never kept whole
(`?mine=false`), share it; a write that changes the list is counted on the next read; a
list of one's own courses or a staff review queue is counted every time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.catalog.models import CourseStatus
from lms.catalog.tests.factories import CourseFactory, PublishedCourseFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses/"


@pytest.fixture
def published(instructor):
    return [PublishedCourseFactory(instructor=instructor, level="beginner") for _ in range(3)]


def _read(client, params) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200, response.content
    return response.json(), [query["sql"] for query in queries]


def _counts(sqls: list[str]) -> int:
    return sum("COUNT(" in sql.upper() for sql in sqls)


def test_every_page_and_ordering_of_a_public_list_shares_one_count(anon_client, published):
    # given: the first page read, which counts
    first, sqls = _read(anon_client, {"page_size": 1})
    assert first["count"] == 3
    assert _counts(sqls) == 1

    # when: another page, another ordering, and the uncached spelling of the same list
    for params in (
        {"page_size": 1, "page": 2},
        {"page_size": 1, "ordering": "price"},
        {"page_size": 1, "page": 3, "mine": "false"},
    ):
        body, sqls = _read(anon_client, params)

        # then: the count is the kept one, and only the page and its tags are read
        assert body["count"] == 3
        assert _counts(sqls) == 0, sqls
        assert len(sqls) == 2, sqls


def test_each_filter_has_its_own_count(anon_client, published, instructor):
    PublishedCourseFactory(instructor=instructor, level="advanced")
    assert _read(anon_client, {})[0]["count"] == 4
    assert _read(anon_client, {"level": "beginner"})[0]["count"] == 3
    assert _read(anon_client, {"level": "advanced", "mine": "false"})[0]["count"] == 1
    assert _read(anon_client, {"level": ""})[0]["count"] == 4  # empty: no filter
    search = anon_client.get("/api/v1/search/", {"q": "no such words anywhere"}).json()
    assert search["count"] == 0


def test_a_course_published_or_withdrawn_is_counted_on_the_next_read(
    anon_client, published, manager_client, instructor, django_capture_on_commit_callbacks
):
    # given: the count kept
    assert _read(anon_client, {"mine": "false"})[0]["count"] == 3
    approved = CourseFactory(instructor=instructor, status=CourseStatus.APPROVED)

    # when: a course is published, then another unpublished, through the API (committed)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(f"/api/v1/courses/{approved.pk}/publish/")
    assert response.status_code == 200, response.content

    # then: each read counts what the write left
    assert _read(anon_client, {"mine": "false"})[0]["count"] == 4
    assert _read(anon_client, {"page": 1})[0]["count"] == 4
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(f"/api/v1/courses/{published[0].pk}/unpublish/")
    assert _read(anon_client, {"mine": "false"})[0]["count"] == 3


def test_own_courses_and_review_queues_are_counted_every_time(
    published, instructor_client, manager_client, instructor
):
    CourseFactory(instructor=instructor, status=CourseStatus.PENDING)
    for client, params, expected in (
        (instructor_client, {"mine": "true"}, 4),  # every state of one's own
        (manager_client, {"status": "pending"}, 1),  # a staff review queue
    ):
        _read(client, params)
        body, sqls = _read(client, params)
        assert body["count"] == expected
        assert _counts(sqls) == 1, sqls


@pytest.mark.parametrize(
    ("planted", "victim"),
    [
        ({"category": "web&level=beginner"}, {"category": "web", "level": "beginner"}),
        ({"search": "paint&tag=oils"}, {"search": "paint", "tag": "oils"}),
        ({"language": "en&tag=x"}, {"language": "en", "tag": "x"}),
    ],
)
def test_a_value_cannot_spell_another_filters_count(anon_client, published, planted, victim):
    # given: a list whose one value holds "&" and "=", counted first (it matches nothing)
    assert _read(anon_client, {**planted, "mine": "false"})[0]["count"] == 0

    # when: the list those characters would spell is read
    body, sqls = _read(anon_client, {**victim, "mine": "false"})

    # then: it is counted on its own, not given the planted count
    assert _counts(sqls) == 1, sqls
    assert body["count"] == len(body["results"])
