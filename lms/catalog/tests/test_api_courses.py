from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory
from lms.catalog.models import Course, CourseStatus
from lms.catalog.tests.conftest import EXE_BYTES, png_bytes, upload
from lms.catalog.tests.factories import (
    CategoryFactory,
    CourseFactory,
    LessonFactory,
    PublishedCourseFactory,
    SectionFactory,
    TagFactory,
)
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses/"


def detail(course: Course | str) -> str:
    ref = course if isinstance(course, str) else course.pk
    return f"/api/v1/courses/{ref}/"


def attrs(response) -> list[str]:
    return [error["attr"] for error in response.json()["errors"]]


# --- public list ----------------------------------------------------------------------------------


def test_list_shows_only_published_courses(anon_client):
    # given
    published = PublishedCourseFactory()
    CourseFactory()  # draft
    PublishedCourseFactory(status=CourseStatus.UNPUBLISHED)
    # when
    response = anon_client.get(LIST)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == str(published.pk)
    assert item["price"] == "49.99"
    assert item["currency"] == "USD"
    assert isinstance(item["rating"], float)
    assert item["category"]["slug"] == published.category.slug
    assert item["instructor"]["id"] == str(published.instructor_id)
    assert {"next", "previous", "results"} <= body.keys()


def test_list_page_runs_three_queries_whatever_its_size(anon_client, django_assert_max_num_queries):
    # given: a full page of courses, each with tags and a curriculum
    tags = [TagFactory(), TagFactory()]
    for _ in range(25):
        course = PublishedCourseFactory(tags=tags)
        LessonFactory(section=SectionFactory(course=course))
    # when / then: count, page, tags
    with django_assert_max_num_queries(3):
        response = anon_client.get(LIST, {"page_size": 20})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20
    assert len(response.json()["results"][0]["tags"]) == 2


def test_signed_in_list_adds_only_the_authentication_query(
    student_client, django_assert_max_num_queries
):
    for _ in range(20):
        PublishedCourseFactory(tags=[TagFactory()])
    with django_assert_max_num_queries(4):
        response = student_client.get(LIST)
    assert response.status_code == 200


def test_unfiltered_list_matches_the_filterset_path(anon_client):
    # given: courses with tags, one without a category, one draft; published at distinct times
    tags = [TagFactory(), TagFactory()]
    now = timezone.now()
    for index in range(7):
        PublishedCourseFactory(tags=tags[: index % 3], published_at=now - timedelta(hours=index))
    PublishedCourseFactory(category=None, published_at=now - timedelta(days=1))
    CourseFactory()
    for page in (1, 2, 3):
        # when: no filter (the FilterSet skipped) and an explicit default ordering (the FilterSet)
        plain = anon_client.get(LIST, {"page_size": 3, "page": page})
        filtered = anon_client.get(LIST, {"page_size": 3, "page": page, "ordering": "newest"})
        # then: the same body, links aside (they keep the query string they were given)
        assert plain.status_code == filtered.status_code == 200
        plain_body, filtered_body = plain.json(), filtered.json()
        assert plain_body["count"] == filtered_body["count"] == 8
        assert plain_body["results"] == filtered_body["results"]
    assert anon_client.get(LIST, {"page": 4, "page_size": 3}).status_code == 404


def test_list_filters(anon_client):
    # given
    design = CategoryFactory(slug="design")
    sub = CategoryFactory(slug="ux", parent=design)
    tag = TagFactory(slug="figma", name="figma")
    teacher = InstructorFactory()
    match = PublishedCourseFactory(
        category=sub, level="advanced", price=Decimal("20"), language="fr",
        instructor=teacher, rating=4.5, tags=[tag],
    )  # fmt: skip
    PublishedCourseFactory(level="beginner", price=Decimal("200"), rating=3.0)
    free = PublishedCourseFactory(is_free=True, price=Decimal("0"))
    cases = [
        ({"category": "DESIGN"}, {match.pk}),
        ({"category": "ux"}, {match.pk}),
        ({"level": "Advanced"}, {match.pk}),
        ({"price_min": "10", "price_max": "30"}, {match.pk}),
        ({"is_free": "true"}, {free.pk}),
        ({"rating_min": "4"}, {match.pk}),
        ({"language": "FR"}, {match.pk}),
        ({"instructor": str(teacher.pk)}, {match.pk}),
        ({"tag": "figma"}, {match.pk}),
        ({"category": "no-such-category"}, set()),
    ]
    for params, expected in cases:
        # when
        response = anon_client.get(LIST, params)
        # then
        assert response.status_code == 200, params
        assert {item["id"] for item in response.json()["results"]} == {
            str(pk) for pk in expected
        }, params


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"level": "expert"}, "level"),
        ({"ordering": "cheapest"}, "ordering"),
        ({"price_min": "abc"}, "price_min"),
        ({"price_max": "-1"}, "price_max"),
        ({"is_free": "maybe"}, "is_free"),
        ({"rating_min": "6"}, "rating_min"),
        ({"instructor": "not-a-uuid"}, "instructor"),
    ],
)
def test_list_refuses_malformed_filter_values(anon_client, params, attr):
    response = anon_client.get(LIST, params)
    assert response.status_code == 400
    assert attrs(response) == [attr]


def test_list_ignores_unknown_parameters(anon_client):
    PublishedCourseFactory()
    response = anon_client.get(LIST, {"colour": "blue"})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_list_orderings_and_aliases(anon_client):
    now = timezone.now()
    old = PublishedCourseFactory(
        price=Decimal("10"), rating=4.9, enrollment_count=5, published_at=now - timedelta(days=9)
    )
    new = PublishedCourseFactory(
        price=Decimal("90"), rating=3.1, enrollment_count=50, published_at=now
    )

    def first(ordering: str) -> str:
        response = anon_client.get(LIST, {"ordering": ordering})
        assert response.status_code == 200
        return response.json()["results"][0]["id"]  # type: ignore[no-any-return]

    assert first("-published_at") == first("newest") == str(new.pk)
    assert first("-rating") == first("rating") == str(old.pk)
    assert first("-enrollment_count") == first("popular") == str(new.pk)
    assert first("price") == first("price_low") == str(old.pk)
    assert first("-price") == first("price_high") == str(new.pk)
    assert anon_client.get(LIST).json()["results"][0]["id"] == str(new.pk)


def test_search_matches_title_tags_and_instructor_name(anon_client):
    teacher = InstructorFactory(first_name="Ottoline", last_name="Quist")
    by_title = PublishedCourseFactory(title="Watercolour landscapes")
    by_tag = PublishedCourseFactory(tags=[TagFactory(name="watercolour", slug="watercolour")])
    by_teacher = PublishedCourseFactory(instructor=teacher)
    PublishedCourseFactory(title="Unrelated")
    from lms.catalog.services import refresh_search_vectors

    refresh_search_vectors()
    for path in (f"{LIST}?search=watercolour", "/api/v1/search/?q=watercolour"):
        ids = {item["id"] for item in anon_client.get(path).json()["results"]}
        assert ids == {str(by_title.pk), str(by_tag.pk)}
    ids = {item["id"] for item in anon_client.get("/api/v1/search/?q=Ottoline").json()["results"]}
    assert ids == {str(by_teacher.pk)}


def test_mine_lists_own_courses_in_every_state(instructor_client, instructor, anon_client):
    own_draft = CourseFactory(instructor=instructor)
    own_published = PublishedCourseFactory(instructor=instructor)
    PublishedCourseFactory()
    response = instructor_client.get(LIST, {"mine": "true"})
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {
        str(own_draft.pk),
        str(own_published.pk),
    }
    assert anon_client.get(LIST, {"mine": "true"}).status_code == 401


# --- detail -------------------------------------------------------------------------------------


def test_detail_by_id_or_slug_with_curriculum(anon_client):
    course = PublishedCourseFactory(tags=[TagFactory()])
    course.co_instructors.add(InstructorFactory())
    course.prerequisites.add(PublishedCourseFactory())
    section = SectionFactory(course=course)
    LessonFactory(section=section, is_preview=True)
    LessonFactory(section=section)
    for ref in (course.pk, course.slug):
        response = anon_client.get(detail(str(ref)))
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == str(course.pk)
        assert body["is_enrolled"] is False
        assert len(body["tags"]) == 1
        assert len(body["co_instructors"]) == 1
        assert len(body["prerequisites"]) == 1
        lessons = body["curriculum"][0]["lessons"]
        assert [lesson["locked"] for lesson in lessons] == [False, True]
        assert "content" not in lessons[0]
        assert "rejection_reason" not in body


def test_detail_with_a_large_curriculum_runs_at_most_five_queries(
    client_for, student, enroll, django_assert_max_num_queries
):
    # given: 10 sections x 10 lessons, and the caller enrolled
    course = PublishedCourseFactory(tags=[TagFactory(), TagFactory()])
    course.co_instructors.add(InstructorFactory())
    course.prerequisites.add(PublishedCourseFactory())
    for _ in range(10):
        section = SectionFactory(course=course)
        for _ in range(10):
            LessonFactory(section=section)
    enroll(student, course)
    client = client_for(student)
    # when / then: auth user, course, links, curriculum, enrollment
    with django_assert_max_num_queries(5):
        response = client.get(detail(course))
    assert response.status_code == 200
    body = response.json()
    assert body["is_enrolled"] is True
    assert sum(len(section["lessons"]) for section in body["curriculum"]) == 100
    assert not any(
        lesson["locked"] for section in body["curriculum"] for lesson in section["lessons"]
    )


def test_anonymous_detail_runs_at_most_three_queries(anon_client, django_assert_max_num_queries):
    course = PublishedCourseFactory()
    for _ in range(5):
        LessonFactory(section=SectionFactory(course=course))
    with django_assert_max_num_queries(3):
        assert anon_client.get(detail(course)).status_code == 200


def test_unpublished_course_is_404_except_to_its_authors_and_staff(
    anon_client, student_client, instructor_client, instructor, manager_client
):
    course = CourseFactory(instructor=instructor)
    assert anon_client.get(detail(course)).status_code == 404
    assert student_client.get(detail(course)).status_code == 404
    assert instructor_client.get(detail(course)).status_code == 200
    assert manager_client.get(detail(course)).status_code == 200
    assert anon_client.get(detail("no-such-course")).status_code == 404


# --- create, edit, delete -------------------------------------------------------------------------


def test_instructor_creates_a_draft(instructor_client, instructor):
    category = CategoryFactory()
    response = instructor_client.post(
        LIST,
        {
            "title": "Practical Rust",
            "subtitle": "Systems programming",
            "description": "Ownership, borrowing and fearless concurrency.",
            "category": str(category.pk),
            "tags": ["rust", "Systems"],
            "level": "Intermediate",
            "price": "19.99",
            "currency": "EUR",
            "outcomes": ["Write safe code"],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["slug"] == "practical-rust"
    assert body["level"] == "intermediate"
    assert body["price"] == "19.99"
    assert body["currency"] == "EUR"
    assert sorted(tag["slug"] for tag in body["tags"]) == ["rust", "systems"]
    assert body["instructor"]["id"] == str(instructor.pk)
    course = Course.objects.get(pk=body["id"])
    assert course.instructor == instructor


def test_duplicate_titles_get_distinct_slugs(instructor_client):
    first = instructor_client.post(LIST, {"title": "Same title"}).json()["slug"]
    second = instructor_client.post(LIST, {"title": "Same title"}).json()["slug"]
    assert first == "same-title"
    assert second != first
    assert second.startswith("same-title-")


def test_free_course_has_zero_price(instructor_client):
    response = instructor_client.post(LIST, {"title": "Free", "price": "10", "is_free": True})
    assert response.status_code == 201
    assert response.json()["price"] == "0.00"


def test_create_needs_an_instructor(anon_client, student_client):
    assert anon_client.post(LIST, {"title": "x"}).status_code == 401
    response = student_client.post(LIST, {"title": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        ({"price": "-1"}, "price"),
        ({"price": "1000000000"}, "price"),
        ({"price": "1500.50", "currency": "JPY"}, "price"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "CLF"}, "currency"),
        ({"currency": "KWD", "price": "1.2345"}, "price"),
        ({"level": "expert"}, "level"),
        ({"category": "00000000-0000-0000-0000-000000000000"}, "category"),
        ({"prerequisites": ["00000000-0000-0000-0000-000000000000"]}, "prerequisites"),
        ({"title": ""}, "title"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(instructor_client, payload, attr):
    response = instructor_client.post(LIST, {"title": "A course", **payload})
    assert response.status_code == 400
    assert attr in {a.split(".")[0] for a in attrs(response)}
    assert not Course.objects.exists()


def test_prerequisite_cannot_be_the_course_itself_or_a_cycle(instructor_client, instructor):
    a = CourseFactory(instructor=instructor)
    b = CourseFactory(instructor=instructor)
    b.prerequisites.add(a)  # b requires a
    response = instructor_client.patch(detail(a), {"prerequisites": [str(a.pk)]})
    assert response.status_code == 400
    assert attrs(response) == ["prerequisites"]
    assert error_codes(response) == ["invalid_prerequisite"]
    response = instructor_client.patch(detail(a), {"prerequisites": [str(b.pk)]})
    assert response.status_code == 400
    assert error_codes(response) == ["prerequisite_cycle"]
    assert not a.prerequisites.exists()


def test_owner_and_co_instructor_edit_others_get_404(client_for, instructor):
    course = CourseFactory(instructor=instructor)
    co = InstructorFactory()
    course.co_instructors.add(co)
    response = client_for(instructor).patch(detail(course), {"title": "New title", "price": "5"})
    assert response.status_code == 200
    assert response.json()["title"] == "New title"
    assert response.json()["slug"] == course.slug  # stable
    assert client_for(co).patch(detail(course), {"subtitle": "By co"}).status_code == 200
    stranger = client_for(InstructorFactory())
    assert stranger.patch(detail(course), {"title": "Mine now"}).status_code == 404
    assert stranger.delete(detail(course)).status_code == 404
    course.refresh_from_db()
    assert course.subtitle == "By co"


def test_patch_validates_fields(instructor_client, instructor):
    course = CourseFactory(instructor=instructor)
    response = instructor_client.patch(detail(course), {"price": "-5"})
    assert response.status_code == 400
    assert attrs(response) == ["price"]


def test_co_instructors_must_be_instructors(instructor_client, instructor, student):
    course = CourseFactory(instructor=instructor)
    response = instructor_client.patch(detail(course), {"co_instructors": [str(student.pk)]})
    assert response.status_code == 400
    assert attrs(response) == ["co_instructors"]


def test_delete_only_while_draft(instructor_client, instructor, student_client):
    draft = CourseFactory(instructor=instructor)
    pending = CourseFactory(instructor=instructor, status=CourseStatus.PENDING)
    assert student_client.delete(detail(draft)).status_code == 403
    assert instructor_client.delete(detail(draft)).status_code == 204
    assert not Course.objects.filter(pk=draft.pk).exists()
    response = instructor_client.delete(detail(pending))
    assert response.status_code == 409
    assert error_codes(response) == ["course_not_draft"]


# --- thumbnail ------------------------------------------------------------------------------------


def test_thumbnail_is_reencoded_image(instructor_client, instructor):
    course = CourseFactory(instructor=instructor)
    response = instructor_client.post(
        f"{detail(course)}thumbnail/",
        {"thumbnail": upload("../../etc/passwd.png", png_bytes(), "image/png")},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    course.refresh_from_db()
    assert course.thumbnail.name.startswith("catalog/thumbnails/")
    assert course.thumbnail.name.endswith(".webp")
    assert ".." not in course.thumbnail.name
    assert "passwd" not in course.thumbnail.name
    assert response.json()["thumbnail"].endswith(".webp")


@pytest.mark.parametrize(
    ("data", "status_code"),
    [
        (EXE_BYTES, 415),  # a program named .png
        (b"%PDF-1.4\n%%EOF", 415),  # a PDF is not an image
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 415),  # a PNG header with garbage
    ],
)
def test_thumbnail_refuses_what_is_not_an_image(instructor_client, instructor, data, status_code):
    course = CourseFactory(instructor=instructor)
    response = instructor_client.post(
        f"{detail(course)}thumbnail/", {"thumbnail": upload("cover.png", data)}, format="multipart"
    )
    assert response.status_code == status_code
    course.refresh_from_db()
    assert not course.thumbnail


def test_thumbnail_too_large_is_413(instructor_client, instructor):
    course = CourseFactory(instructor=instructor)
    big = png_bytes() + b"\x00" * (5 * 1024 * 1024)
    response = instructor_client.post(
        f"{detail(course)}thumbnail/", {"thumbnail": upload("big.png", big)}, format="multipart"
    )
    assert response.status_code == 413


def test_thumbnail_of_anothers_course_is_404(client_for, instructor):
    course = CourseFactory(instructor=instructor)
    response = client_for(InstructorFactory()).post(
        f"{detail(course)}thumbnail/",
        {"thumbnail": upload("a.png", png_bytes())},
        format="multipart",
    )
    assert response.status_code == 404


# --- related --------------------------------------------------------------------------------------


def test_related_prefers_category_and_shared_tags_then_popularity(anon_client):
    tag = TagFactory()
    course = PublishedCourseFactory(tags=[tag])
    same_both = PublishedCourseFactory(category=course.category, tags=[tag], enrollment_count=1)
    same_category = PublishedCourseFactory(category=course.category, enrollment_count=100)
    shared_tag = PublishedCourseFactory(tags=[tag], enrollment_count=1000)
    CourseFactory(category=course.category)  # draft: never
    PublishedCourseFactory()  # unrelated
    response = anon_client.get(f"{detail(course)}related/")
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["results"]]
    assert ids == [str(same_both.pk), str(same_category.pk), str(shared_tag.pk)]
    assert str(course.pk) not in ids
