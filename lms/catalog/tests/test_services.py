from __future__ import annotations

import uuid

import pytest
from django.db import connection
from rest_framework.exceptions import ValidationError

from lms.accounts.tests.factories import InstructorFactory
from lms.catalog import access, selectors, services, workflow
from lms.catalog.models import Course, CourseStatus
from lms.catalog.tests.factories import (
    CategoryFactory,
    CourseFactory,
    LessonFactory,
    PublishedCourseFactory,
    SectionFactory,
    TagFactory,
)
from lms.core.errors import Conflict

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)


def test_transition_table_is_the_documented_state_machine():
    table = {name: (set(t.sources), t.target) for name, t in workflow.TRANSITIONS.items()}
    assert table == {
        "submit": ({"draft", "rejected"}, "pending"),
        "approve": ({"pending"}, "approved"),
        "reject": ({"pending"}, "rejected"),
        "publish": ({"approved", "unpublished"}, "published"),
        "unpublish": ({"published"}, "unpublished"),
    }
    assert workflow.allowed_transitions("pending") == ["approve", "reject"]


def test_apply_transition_refuses_a_wrong_state_without_side_effects(manager):
    course = CourseFactory()
    with pytest.raises(Conflict) as caught:
        workflow.apply_transition(course=course, name="publish", by=manager)
    assert caught.value.code == "invalid_status_transition"
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT


def test_published_at_is_kept_on_republish(manager):
    course = CourseFactory(status=CourseStatus.APPROVED)
    first = services.publish_course(course=course, by=manager).published_at
    services.unpublish_course(course=course, by=manager)
    again = services.publish_course(course=course, by=manager)
    assert again.published_at == first


def test_prerequisite_cycles_are_found_through_several_hops(instructor):
    a, b, c = (CourseFactory(instructor=instructor) for _ in range(3))
    services.update_course(course=b, by=instructor, data={"prerequisites": [a]})
    services.update_course(course=c, by=instructor, data={"prerequisites": [b]})
    with pytest.raises(ValidationError) as caught:
        services.update_course(course=a, by=instructor, data={"prerequisites": [c]})
    assert caught.value.detail["prerequisites"][0].code == "prerequisite_cycle"  # type: ignore[index]


def test_lesson_totals_follow_creates_updates_and_section_deletes(instructor):
    course = CourseFactory(instructor=instructor)
    section = services.create_section(course=course, by=instructor, title="One")
    services.create_lesson(
        section=section, by=instructor, data={"title": "A", "type": "text", "duration_seconds": 60}
    )
    lesson = services.create_lesson(
        section=section, by=instructor, data={"title": "B", "type": "text", "duration_seconds": 30}
    )
    assert lesson.order == 1
    course.refresh_from_db()
    assert (course.lesson_count, course.duration_seconds) == (2, 90)
    services.delete_section(section=section, by=instructor)
    course.refresh_from_db()
    assert (course.lesson_count, course.duration_seconds) == (0, 0)


def test_slug_is_stable_when_the_title_changes(instructor):
    course = services.create_course(by=instructor, data={"title": "Original name"})
    services.update_course(course=course, by=instructor, data={"title": "Renamed"})
    course.refresh_from_db()
    assert course.slug == "original-name"


def test_access_registry_defaults_to_nobody_and_uses_the_registered_checker(student):
    course_id = uuid.uuid4()
    assert access.is_enrolled(student, course_id) is False
    access.enrollment_checkers.register(
        "test", lambda user, ids: {i for i in ids if i == course_id}
    )
    assert access.is_enrolled(student, course_id) is True
    assert access.enrolled_course_ids(student, [course_id, uuid.uuid4()]) == {course_id}
    from django.contrib.auth.models import AnonymousUser

    assert access.is_enrolled(AnonymousUser(), course_id) is False


def test_courses_editable_by_covers_owner_and_co_instructors(instructor):
    own = CourseFactory(instructor=instructor)
    co = CourseFactory()
    co.co_instructors.add(instructor)
    CourseFactory()
    assert set(selectors.courses_editable_by(instructor)) == {own, co}


# --- PostgreSQL full-text search ------------------------------------------------------------


@postgres_only
def test_ranked_search_weights_title_over_description(anon_client):
    in_title = PublishedCourseFactory(title="Kubernetes in production", description="Clusters.")
    in_description = PublishedCourseFactory(
        title="Operations", description="We touch on kubernetes briefly."
    )
    tagged = PublishedCourseFactory(title="Containers", tags=[TagFactory(name="kubernetes")])
    services.refresh_search_vectors()
    response = anon_client.get("/api/v1/search/", {"q": "kubernetes"})
    ids = [item["id"] for item in response.json()["results"]]
    assert ids == [str(in_title.pk), str(tagged.pk), str(in_description.pk)]


@postgres_only
def test_search_vector_is_kept_current_by_the_services(instructor):
    category = CategoryFactory()
    course = services.create_course(
        by=instructor, data={"title": "Gardening", "category": category, "tags": ["compost"]}
    )
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.PUBLISHED)

    def found(term: str) -> bool:
        queryset = selectors.course_list(user=None, params={"search": term}).rows
        return queryset.filter(pk=course.pk).exists()

    assert found("compost")
    assert not found("beekeeping")
    course.refresh_from_db()
    services.update_course(course=course, by=instructor, data={"subtitle": "and beekeeping"})
    assert found("beekeeping")
    from lms.accounts.services import update_me

    update_me(user=instructor, fields={"first_name": "Zebulon"}, profile_fields={})
    assert found("zebulon")


@postgres_only
def test_broad_search_uses_the_gin_index():
    # given: enough rows for the planner to weigh its options (a broad term: one in ten matches)
    teacher = InstructorFactory()
    category = CategoryFactory()
    Course.objects.bulk_create(
        Course(
            slug=f"bulk-{index}",
            title=f"Python course {index}" if index % 10 == 0 else f"Pottery class {index}",
            description="Hands-on practice.",
            instructor=teacher,
            category=category,
            status=CourseStatus.PUBLISHED,
        )
        for index in range(2000)
    )
    services.refresh_search_vectors()
    with connection.cursor() as cursor:
        # Fresh rows sit in the GIN pending list (costed high) until a vacuum; flush it.
        cursor.execute("SELECT gin_clean_pending_list('course_search_vector_gin')")
        cursor.execute("ANALYZE catalog_course")
        # A table this small is cheaper to walk; forbid that to see which index is chosen.
        cursor.execute("SET LOCAL enable_seqscan = off")
    # when
    queryset = selectors.course_list(user=None, params={"search": "python"})
    plan = queryset.rows.explain()
    # then
    assert "course_search_vector_gin" in plan, plan
    assert queryset.count() == 200


def test_sqlite_fallback_searches_with_icontains():
    if connection.vendor == "postgresql":
        pytest.skip("the fallback is for SQLite")
    course = PublishedCourseFactory(subtitle="All about Sourdough")
    ids = {
        row["id"] for row in selectors.course_list(user=None, params={"search": "sourdough"}).rows
    }
    assert ids == {course.pk}


def test_reorder_service_refuses_foreign_ids(instructor):
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    lesson = LessonFactory(section=section)
    with pytest.raises(ValidationError):
        services.reorder_lessons(section=section, by=instructor, ids=[lesson.pk, uuid.uuid4()])
    services.reorder_lessons(section=section, by=instructor, ids=[lesson.pk])


def test_another_instructors_course_is_not_found(instructor):
    course = CourseFactory(instructor=InstructorFactory())
    from lms.core.errors import NotFound

    with pytest.raises(NotFound):
        selectors.course_for_editing(user=instructor, ref=course.slug)


def test_admin_actions_move_courses_through_the_workflow(client, admin_user):
    # given a pending course and a signed-in admin (the admin uses sessions)
    course = CourseFactory(status=CourseStatus.PENDING)
    draft = CourseFactory()
    client.force_login(admin_user)
    # when
    response = client.post(
        "/admin/catalog/course/",
        {"action": "approve", "_selected_action": [str(course.pk), str(draft.pk)]},
        follow=True,
    )
    # then: the pending course moved, the draft was refused and left alone
    assert response.status_code == 200
    course.refresh_from_db()
    draft.refresh_from_db()
    assert course.status == CourseStatus.APPROVED
    assert draft.status == CourseStatus.DRAFT
    client.post(
        "/admin/catalog/course/",
        {"action": "publish", "_selected_action": [str(course.pk)]},
    )
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert client.get("/admin/catalog/course/?status__exact=published").status_code == 200
