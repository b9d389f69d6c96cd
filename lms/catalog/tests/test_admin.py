"""The Django admin writes the catalog only through its services: a title or price changed
there refreshes the search document, bumps the response cache and writes the audit line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from lms.audit.models import AuditLog
from lms.catalog import cache
from lms.catalog.models import Category, Course, CourseStatus, Lesson, Section, Tag
from lms.catalog.tests.factories import (
    CategoryFactory,
    CourseFactory,
    LessonFactory,
    PublishedCourseFactory,
    SectionFactory,
    TagFactory,
)
from lms.core.tests.admin_forms import posted_back

pytestmark = pytest.mark.django_db

COURSES = "/api/v1/courses/"


@pytest.fixture
def admin_site(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def committing(django_capture_on_commit_callbacks: Any) -> Any:
    """Run what the request schedules after commit (the cache bump), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def change(admin_site: Client, url: str, **changes: Any) -> Any:
    page = admin_site.get(url)
    assert page.status_code == 200
    return admin_site.post(url, posted_back(page, **changes))


def course_url(course: Course) -> str:
    return f"/admin/catalog/course/{course.pk}/change/"


def test_a_title_changed_in_the_admin_is_searched_and_served_at_once(
    admin_site, admin_user, anon_client, committing
):
    # given a published course whose anonymous detail and search are cached
    course = PublishedCourseFactory(title="Knitting for beginners")
    from lms.catalog.services import refresh_search_vectors

    refresh_search_vectors(course_ids=[course.pk])
    assert anon_client.get(f"{COURSES}{course.slug}/").json()["title"] == "Knitting for beginners"
    assert anon_client.get(COURSES, {"search": "Origami"}).json()["count"] == 0
    version = cache.version()

    # when
    with committing():
        response = change(admin_site, course_url(course), title="Origami masterclass")

    # then: saved through update_course
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "Origami masterclass"
    line = AuditLog.objects.get(action="course.update", target_id=str(course.pk))
    assert line.actor == admin_user
    assert line.data == {"fields": ["title"]}
    assert cache.version() > version
    # and the next anonymous reads show it: detail, and search (the stored vector on PostgreSQL)
    assert anon_client.get(f"{COURSES}{course.slug}/").json()["title"] == "Origami masterclass"
    found = anon_client.get(COURSES, {"search": "Origami"}).json()
    assert [row["slug"] for row in found["results"]] == [course.slug]
    if connection.vendor == "postgresql":
        assert Course.objects.filter(search_vector="origami").exists()
        assert not Course.objects.filter(search_vector="knitting").exists()


def test_a_price_the_currency_cannot_hold_is_refused_with_a_message(admin_site):
    # given
    course = CourseFactory(price=Decimal("1500"), currency="JPY")
    # when
    response = change(admin_site, course_url(course), price="1500.50")
    # then: nothing written, the reason shown
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.price == Decimal("1500")
    assert not AuditLog.objects.filter(action="course.update").exists()
    messages = [str(m) for m in admin_site.get(response["Location"]).context["messages"]]
    assert any(m.startswith("Not saved: price") for m in messages)


def test_tags_changed_in_the_admin_go_through_the_service(admin_site):
    course = CourseFactory()
    tag = TagFactory(name="woodwork", slug="woodwork")
    change(admin_site, course_url(course), tags=[str(tag.pk)])
    assert list(course.tags.values_list("name", flat=True)) == ["woodwork"]
    assert AuditLog.objects.get(action="course.update").data == {"fields": ["tags"]}


def test_owner_slug_and_status_are_read_only(admin_site):
    course = CourseFactory()
    page = admin_site.get(course_url(course))
    for name in ("instructor", "slug", "status", "rejection_reason", "search_vector"):
        assert f'name="{name}"'.encode() not in page.content, name
    assert admin_site.get("/admin/catalog/course/add/").status_code == 403


def test_sections_edited_inline_go_through_the_services(admin_site, committing):
    # given
    course = CourseFactory()
    section = SectionFactory(course=course, title="Old", order=0)
    version = cache.version()
    # when
    with committing():
        response = change(admin_site, course_url(course), **{"sections-0-title": "New"})
    # then
    assert response.status_code == 302
    section.refresh_from_db()
    assert section.title == "New"
    assert cache.version() > version


def test_the_reject_action_takes_the_reason_typed_beside_it(admin_site, admin_user):
    course = CourseFactory(status=CourseStatus.PENDING)
    admin_site.post(
        "/admin/catalog/course/",
        {"action": "reject", "_selected_action": [str(course.pk)], "reason": "Add captions."},
    )
    course.refresh_from_db()
    assert course.status == CourseStatus.REJECTED
    assert course.rejection_reason == "Add captions."
    assert AuditLog.objects.filter(action="course.reject", actor=admin_user).exists()


def test_a_draft_deleted_in_the_admin_goes_through_the_service(admin_site, admin_user):
    course = CourseFactory()
    response = admin_site.post(f"/admin/catalog/course/{course.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Course.objects.filter(pk=course.pk).exists()
    assert AuditLog.objects.filter(action="course.delete", actor=admin_user).exists()


def test_a_lesson_changed_in_the_admin_keeps_the_course_totals(admin_site, committing):
    # given
    lesson = LessonFactory(duration_seconds=300)
    version = cache.version()
    # when
    with committing():
        response = change(
            admin_site, f"/admin/catalog/lesson/{lesson.pk}/change/", duration_seconds="900"
        )
    # then
    assert response.status_code == 302
    course = Course.objects.get(pk=lesson.course_id)
    assert (course.lesson_count, course.duration_seconds) == (1, 900)
    assert cache.version() > version


def test_a_lesson_added_in_the_admin_goes_through_the_service(admin_site):
    section = SectionFactory()
    page = admin_site.get("/admin/catalog/lesson/add/")
    data = posted_back(page, section=str(section.pk), title="Intro", type="text", content="Hi")
    response = admin_site.post("/admin/catalog/lesson/add/", data)
    assert response.status_code == 302
    lesson = Lesson.objects.get(title="Intro")
    assert lesson.course_id == section.course_id
    assert Course.objects.get(pk=section.course_id).lesson_count == 1


def test_categories_are_written_through_the_services(admin_site, admin_user):
    # added
    page = admin_site.get("/admin/catalog/category/add/")
    admin_site.post(
        "/admin/catalog/category/add/", posted_back(page, name="Music", slug="music", order="0")
    )
    category = Category.objects.get(slug="music")
    # changed
    change(admin_site, f"/admin/catalog/category/{category.pk}/change/", name="Music theory")
    category.refresh_from_db()
    assert category.name == "Music theory"
    # a category in use is not deleted
    used = CategoryFactory()
    CourseFactory(category=used)
    admin_site.post(f"/admin/catalog/category/{used.pk}/delete/", {"post": "yes"})
    assert Category.objects.filter(pk=used.pk).exists()
    actions = set(AuditLog.objects.filter(actor=admin_user).values_list("action", flat=True))
    assert {"category.create", "category.update"} <= actions


def test_tags_are_added_and_deleted_through_the_services_and_not_renamed(admin_site):
    page = admin_site.get("/admin/catalog/tag/add/")
    admin_site.post("/admin/catalog/tag/add/", posted_back(page, name="Pottery"))
    tag = Tag.objects.get(name="Pottery")
    assert b'name="name"' not in admin_site.get(f"/admin/catalog/tag/{tag.pk}/change/").content
    admin_site.post(f"/admin/catalog/tag/{tag.pk}/delete/", {"post": "yes"})
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert set(AuditLog.objects.values_list("action", flat=True)) == {"tag.create", "tag.delete"}


def test_no_bulk_delete_around_the_services(admin_site):
    page = admin_site.get("/admin/catalog/lesson/")
    assert b"delete_selected" not in page.content
    assert Section.objects.count() == 0
