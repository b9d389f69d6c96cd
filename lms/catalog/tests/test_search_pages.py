"""Ranked search pages pick their rows on the course table, then join only the page:
the pages must be exactly the slices of the whole ranked list (PostgreSQL ranks by
`ts_rank`; SQLite orders matches by popularity)."""

from __future__ import annotations

import pytest

from lms.catalog import services
from lms.catalog.tests.factories import PublishedCourseFactory

pytestmark = pytest.mark.django_db


def test_ranked_pages_are_slices_of_the_whole_ranked_list(
    anon_client, django_assert_max_num_queries
):
    # given: matches of different strength and popularity, and one course that does not match
    for index in range(7):
        PublishedCourseFactory(
            title=("Python " * (1 + index % 3)) + f"course {index}",
            subtitle="python" if index % 2 else "",
            enrollment_count=index % 4,
        )
    PublishedCourseFactory(title="Watercolour")
    services.refresh_search_vectors()  # PostgreSQL's stored vectors (the factories skip them)

    # when: the whole list, then page by page (page count, page, tags: three queries)
    whole = anon_client.get("/api/v1/search/", {"q": "python", "page_size": 100}).json()
    pages = []
    for page in (1, 2, 3):
        with django_assert_max_num_queries(3):
            body = anon_client.get(
                "/api/v1/search/", {"q": "python", "page_size": 3, "page": page}
            ).json()
        pages += body["results"]
        assert body["count"] == 7

    # then
    assert whole["count"] == 7
    assert [item["id"] for item in pages] == [item["id"] for item in whole["results"]]
