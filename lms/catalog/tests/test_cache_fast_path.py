"""A cached anonymous read is answered before DRF's machinery (api/views.py:
`CachedAnonymousRead`), with the same bytes and headers, the same throttles and the same
error shape; anything that is not plainly anonymous takes the full path. The course list's
FilterSet copies and validates only the filters a query names (filters.py).
"""

from __future__ import annotations

import pytest
from django.http import QueryDict
from rest_framework.permissions import IsAuthenticated
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from lms.catalog.api.views import CourseListView
from lms.catalog.filters import CourseFilter
from lms.catalog.models import Course

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses/?page_size=5"
SEARCH = "/api/v1/search/?q=watercolour"


@pytest.fixture
def pages(course) -> list[str]:
    return [
        LIST,
        SEARCH,
        f"/api/v1/courses/{course.slug}/",
        f"/api/v1/courses/{course.pk}/curriculum/",
    ]


def _refuse_drf(monkeypatch) -> None:
    def refused(*args, **kwargs):
        raise AssertionError("went through APIView.dispatch")

    monkeypatch.setattr(APIView, "dispatch", refused)


def test_a_hit_is_answered_before_drf_with_the_bytes_and_headers_drf_gave(
    anon_client, pages, monkeypatch, django_assert_num_queries
):
    # given: each page built once through DRF (a miss), which fills the cache
    built = {url: anon_client.get(url) for url in pages}
    assert all(response.status_code == 200 for response in built.values())

    # when: read again with DRF's dispatch unavailable
    _refuse_drf(monkeypatch)
    with django_assert_num_queries(0):
        hits = {url: anon_client.get(url) for url in pages}

    # then: the same answers, header for header
    for url, response in hits.items():
        assert response.status_code == 200
        assert response.content == built[url].content
        assert dict(response.items()) == dict(built[url].items())
        assert response["Allow"]
        assert response["Content-Type"] == "application/json"
        assert "Cache-Control" not in response  # public: a shared cache may keep it


def test_hits_count_against_the_throttle_and_a_refusal_is_its_429(anon_client, pages, monkeypatch):
    # given: an anonymous limit of three requests, the list built once (one request)
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    assert anon_client.get(LIST).status_code == 200
    _refuse_drf(monkeypatch)

    # when: two hits, then a third
    statuses = [anon_client.get(LIST).status_code for _ in range(2)]
    refused = anon_client.get(LIST)

    # then: the throttle saw every request and refuses in the error shape
    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"HTTP_AUTHORIZATION": "Bearer not-a-token"}, 401),  # authenticated by DRF
        ({"HTTP_ACCEPT": "text/html"}, 406),  # negotiated by DRF
        ({"HTTP_HOST": "evil.example"}, 400),  # not in ALLOWED_HOSTS
    ],
)
def test_anything_not_plainly_anonymous_takes_the_full_path(anon_client, pages, headers, status):
    for url in pages:
        assert anon_client.get(url).status_code == 200  # cached

    for url in pages:
        response = anon_client.get(url, **headers)
        assert response.status_code == status, url
        assert response.json()["errors"][0]["code"]


def test_the_own_courses_list_is_never_a_hit(anon_client, instructor_client, course):
    anon_client.get("/api/v1/courses/?mine=true")
    assert anon_client.get("/api/v1/courses/?mine=true").status_code == 401
    mine = instructor_client.get("/api/v1/courses/?mine=true").json()
    assert [row["id"] for row in mine["results"]] == [str(course.pk)]


def test_a_signed_in_caller_is_never_served_by_the_fast_path(
    anon_client, client_for, manager, course, monkeypatch
):
    # given: the anonymous list of published courses cached, and a draft in the queue
    anon_client.get("/api/v1/courses/?status=draft")
    draft = Course.objects.create(
        title="Draft", slug="draft-course", instructor=course.instructor, status="draft"
    )

    # when: staff ask for the queue on the same address
    queue = client_for(manager).get("/api/v1/courses/?status=draft").json()

    # then: theirs, built for them
    assert [row["id"] for row in queue["results"]] == [str(draft.pk)]


def test_the_filterset_copies_and_validates_only_the_filters_a_query_names():
    # given: a query naming two filters and an unknown parameter
    data = QueryDict("level=Beginner&search=paint&nonsense=1")

    # when
    first = CourseFilter(data, queryset=Course.objects.none())
    second = CourseFilter(QueryDict("search=x&level=advanced"), queryset=Course.objects.none())

    # then: two filters copied, bound to their FilterSet; the class keeps all of them
    assert list(first.filters) == ["level", "search"]
    assert all(f.parent is first for f in first.filters.values())
    assert first.is_valid()
    assert first.form.cleaned_data == {"level": "beginner", "search": "paint"}
    assert len(CourseFilter.base_filters) > 2
    # one form class per set of names, whatever the order of the query
    assert second.get_form_class() is first.get_form_class()
    assert first.filters["level"] is not second.filters["level"]


def test_a_bad_value_is_still_a_400_naming_its_parameter(anon_client):
    response = anon_client.get("/api/v1/courses/?level=expert&price_min=abc")
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"level", "price_min"}


def test_a_view_whose_reads_need_a_permission_never_takes_the_fast_path(
    anon_client, pages, monkeypatch
):
    assert anon_client.get(LIST).status_code == 200  # cached
    monkeypatch.setattr(CourseListView, "read_permissions", (IsAuthenticated,))

    assert anon_client.get(LIST).status_code == 401
