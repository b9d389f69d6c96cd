"""The versioned response cache of the public catalog reads (lms/catalog/cache.py).

Every write that changes what a public page shows is visible on the very next anonymous
read; per-user fields never leave the caller's own answer.
"""

from __future__ import annotations

import contextlib
import dataclasses

import orjson
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from lms.catalog import cache as response_cache
from lms.catalog import selectors
from lms.catalog.api import serializers as s
from lms.catalog.read_models import CourseDetail, CourseItem, LessonOutline, Person
from lms.catalog.tests.conftest import png_bytes, upload
from lms.catalog.tests.factories import (
    LessonFactory,
    PublishedCourseFactory,
    SectionFactory,
)
from lms.core.renderers import dumps

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses/"
SEARCH = "/api/v1/search/?q=watercolour"


def detail(course) -> str:
    return f"/api/v1/courses/{course.slug}/"


def curriculum(course) -> str:
    return f"/api/v1/courses/{course.pk}/curriculum/"


def _pages(client, course) -> dict[str, dict]:
    return {
        url: client.get(url).json() for url in (LIST, SEARCH, detail(course), curriculum(course))
    }


def test_anonymous_reads_are_answered_from_the_cache_without_a_query(
    anon_client, course, django_assert_num_queries
):
    # given: each page read once
    first = {url: anon_client.get(url).content for url in _pages(anon_client, course)}

    # when / then: read again, from the cache, byte for byte
    with django_assert_num_queries(0):
        again = {url: anon_client.get(url).content for url in first}
    assert again == first
    assert anon_client.get(LIST)["Content-Type"] == "application/json"


def _write(client, method: str, url: str, data=None, **kwargs):
    response = getattr(client, method)(url, data, **kwargs)
    assert response.status_code in (200, 201, 204), response.content
    return response


WRITES = {
    "course title": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "patch", f"/api/v1/courses/{course.pk}/", {"title": "Oils"}
    ),
    "course price": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "patch", f"/api/v1/courses/{course.pk}/", {"price": "77.50"}
    ),
    "course tags": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "patch", f"/api/v1/courses/{course.pk}/", {"tags": ["glazing"]}
    ),
    "thumbnail": lambda c, course, section, lesson, clients: _write(
        clients["instructor"],
        "post",
        f"/api/v1/courses/{course.pk}/thumbnail/",
        {"thumbnail": upload("t.png", png_bytes(), "image/png")},
        format="multipart",
    ),
    "section added": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "post", f"/api/v1/courses/{course.pk}/sections/", {"title": "New"}
    ),
    "section renamed": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "patch", f"/api/v1/sections/{section.pk}/", {"title": "Glazes"}
    ),
    "section deleted": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "delete", f"/api/v1/sections/{section.pk}/"
    ),
    "lesson added": lambda c, course, section, lesson, clients: _write(
        clients["instructor"],
        "post",
        f"/api/v1/sections/{section.pk}/lessons/",
        {"title": "Dry brush", "type": "text", "duration_seconds": 60},
    ),
    "lesson renamed": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "patch", f"/api/v1/lessons/{lesson.pk}/", {"title": "Salt"}
    ),
    "lesson deleted": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "delete", f"/api/v1/lessons/{lesson.pk}/"
    ),
    "category renamed": lambda c, course, section, lesson, clients: _write(
        clients["admin"],
        "patch",
        f"/api/v1/categories/{course.category_id}/",
        {"name": "Fine art"},
    ),
    "tag deleted": lambda c, course, section, lesson, clients: _write(
        clients["admin"], "delete", f"/api/v1/tags/{course.tags.get().pk}/"
    ),
    "unpublished": lambda c, course, section, lesson, clients: _write(
        clients["manager"], "post", f"/api/v1/courses/{course.pk}/unpublish/"
    ),
    "instructor renamed": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "patch", "/api/v1/auth/me/", {"last_name": "Turner"}
    ),
    "instructor headline": lambda c, course, section, lesson, clients: _write(
        clients["instructor"], "patch", "/api/v1/auth/me/", {"profile": {"headline": "Oils"}}
    ),
    "instructor avatar": lambda c, course, section, lesson, clients: _write(
        clients["instructor"],
        "post",
        "/api/v1/auth/me/avatar/",
        {"avatar": upload("a.png", png_bytes(), "image/png")},
        format="multipart",
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_through_the_api_shows_on_the_next_anonymous_read(
    write,
    course,
    anon_client,
    instructor_client,
    manager_client,
    client_for,
    admin_user,
    django_capture_on_commit_callbacks,
):
    # given: every public page of the course cached
    section = course.sections.get()
    lesson = section.lessons.get()
    before = _pages(anon_client, course)
    clients = {
        "instructor": instructor_client,
        "manager": manager_client,
        "admin": client_for(admin_user),
    }

    # when: the write, committed
    with django_capture_on_commit_callbacks(execute=True):
        WRITES[write](None, course, section, lesson, clients)

    # then: the next anonymous read is built anew and differs where the write reached
    after = _pages(anon_client, course)
    assert after != before
    assert after == {
        url: anon_client.get(url).json() for url in after
    }  # and is then served as it was built


def test_a_bump_waits_for_the_commit_and_a_rolled_back_write_bumps_nothing(
    db, django_capture_on_commit_callbacks
):
    start = response_cache.version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with contextlib.suppress(RuntimeError), transaction.atomic():
            response_cache.bump()
            raise RuntimeError("rolled back")
        response_cache.bump()
        assert response_cache.version() == start  # not before the commit
    assert len(callbacks) == 1  # the rolled-back write's bump went with it
    assert response_cache.version() == start + 1


def test_a_lost_version_starts_above_every_earlier_one(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response_cache.bump()
    bumped = response_cache.version()
    from django.core.cache import cache

    cache.delete(response_cache.VERSION_KEY)  # evicted, or the cache restarted
    assert response_cache.version() > bumped


def test_per_user_fields_are_never_shared(anon_client, client_for, student, enroll, course):
    # given: the anonymous answer cached, and a student enrolled
    assert anon_client.get(detail(course)).json()["is_enrolled"] is False
    enroll(student, course)

    # when: the student reads the same course, then an anonymous caller again
    mine = client_for(student).get(detail(course)).json()
    theirs = anon_client.get(detail(course)).json()

    # then
    assert mine["is_enrolled"] is True
    assert theirs["is_enrolled"] is False
    assert all(
        lesson["locked"] is not True or lesson["is_preview"]
        for section in mine["curriculum"]
        for lesson in section["lessons"]
    )


def test_the_own_courses_list_is_not_cached(instructor_client, course):
    instructor_client.get(LIST, {"mine": "true"})
    with CaptureQueriesContext(connection) as queries:
        instructor_client.get(LIST, {"mine": "true"})
    assert len(queries) >= 3  # count, page, tags: read from the database every time


def test_each_host_gets_its_own_absolute_urls(anon_client, course):
    course.thumbnail = "catalog/thumbnails/t.webp"
    course.save(update_fields=["thumbnail"])
    one = anon_client.get(LIST, HTTP_HOST="testserver").json()["results"][0]["thumbnail"]
    two = anon_client.get(LIST, HTTP_HOST="localhost").json()["results"][0]["thumbnail"]
    assert one.startswith("http://testserver/")
    assert two.startswith("http://localhost/")


# --- one shape, one serializer ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "serializer"),
    [
        (CourseItem, s.CourseListItemSerializer()),
        (Person, s.PersonSerializer()),
        (LessonOutline, s.LessonOutlineSerializer()),
    ],
)
def test_each_read_model_has_exactly_the_fields_of_its_serializer(model, serializer):
    fields = {field.name for field in dataclasses.fields(model)}
    assert fields == set(serializer.fields)


def test_the_detail_serializer_renders_every_field_of_the_detail_model():
    # preview_video_id is rendered as preview_video (a signed URL)
    fields = {field.name for field in dataclasses.fields(CourseDetail)} - {"preview_video_id"}
    rendered = set(s.CourseDetailSerializer().fields)
    assert fields | {"preview_video"} == rendered
    assert isinstance(s.CourseDetailSerializer().fields["preview_video"], serializers.Field)


def test_the_curriculum_renders_as_its_serializer_does(instructor, student):
    # given: a curriculum with a preview, a locked lesson and an empty section
    course = PublishedCourseFactory(instructor=instructor)
    section = SectionFactory(course=course)
    LessonFactory(section=section, is_preview=True)
    LessonFactory(section=section)
    SectionFactory(course=course)
    detail = selectors.course_detail(user=student, ref=course.pk)

    # when: orjson encodes the read models, and the serializer renders them
    fast = orjson.loads(dumps(s.CurriculumField().to_representation(detail.curriculum)))
    slow = orjson.loads(dumps(s.CurriculumSectionSerializer(detail.curriculum, many=True).data))

    # then: the same JSON, key order included
    assert fast == slow
    assert [list(section) for section in fast] == [list(section) for section in slow]
    assert [list(lesson) for lesson in fast[0]["lessons"]] == [
        list(lesson) for lesson in slow[0]["lessons"]
    ]
    assert len(fast) == 2


def test_a_signed_in_caller_with_nothing_of_their_own_gets_the_shared_answer(
    anon_client, client_for, student, course
):
    # given: the anonymous answers cached
    shared = {url: anon_client.get(url).content for url in (detail(course), curriculum(course))}
    client = client_for(student)
    client.get("/api/v1/auth/me/")  # the user row is cached per user after a first request

    # when: a student neither enrolled nor an author reads them
    with CaptureQueriesContext(connection) as queries:
        mine = {url: client.get(url).content for url in shared}

    # then: the same answers, for one enrollment check each
    assert mine == shared
    assert len(queries) <= 2 * 2


def test_a_signed_in_caller_with_nothing_of_their_own_fills_the_shared_answer(
    anon_client, client_for, student, other_student, course
):
    # given: nothing cached; a student neither enrolled nor an author reads first
    first = {
        url: client_for(student).get(url).content for url in (detail(course), curriculum(course))
    }
    client = client_for(other_student)
    client.get("/api/v1/auth/me/")

    # when: another such student, then an anonymous caller, read the same pages
    with CaptureQueriesContext(connection) as queries:
        second = {url: client.get(url).content for url in first}
    anonymous = {url: anon_client.get(url).content for url in first}

    # then: one answer for all three, kept from the first read, which names nobody
    assert first == second == anonymous
    assert len(queries) <= 2 * 2  # one enrollment check each, nothing built
    assert str(student.pk).encode() not in b"".join(first.values())


@pytest.mark.parametrize("who", ["instructor", "manager"])
def test_authors_and_staff_get_their_own_answer(who, anon_client, client_for, request, course):
    # given: the anonymous answer cached (no rejection_reason in it)
    assert "rejection_reason" not in anon_client.get(detail(course)).json()

    # when / then: the course's instructor and staff see the reason field
    body = client_for(request.getfixturevalue(who)).get(detail(course)).json()
    assert "rejection_reason" in body
