"""The catalog's response cache keeps answers built on the primary, never on a replica: a
lagging replica would put a pre-write page under the version the write just bumped, shared
with everyone for the cache's lifetime (lms/catalog/api/views.py, config/db_router.py)."""

from __future__ import annotations

import pytest

from lms.catalog.models import Course
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.core.tests.test_db_router import Queries, replica  # noqa: F401 - the fixture

COURSES = Course._meta.db_table


@pytest.mark.parametrize("page", ["list", "detail", "search"])
def test_a_page_kept_in_the_cache_is_built_on_the_primary(replica, anon_client, page):  # noqa: F811
    # given: a published course, committed; nothing cached
    course = PublishedCourseFactory(title="Watercolour basics")
    url = {
        "list": "/api/v1/courses/",
        "detail": f"/api/v1/courses/{course.slug}/",
        "search": "/api/v1/search/?q=watercolour",
    }[page]

    # when: an anonymous caller misses the cache
    with Queries() as queries:
        response = anon_client.get(url)

    # then: the answer that is now kept came from the primary
    assert response.status_code == 200, response.content
    assert queries.on_primary(f'"{COURSES}"') >= 1
    assert queries.on_replica(f'"{COURSES}"') == 0
