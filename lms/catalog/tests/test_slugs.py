"""Every name gets a slug, in any script: categories, tags (by admins or on courses), courses."""

from __future__ import annotations

import re

import pytest

from lms.catalog.models import Course, Tag
from lms.catalog.slugs import slug_for

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories/"
TAGS = "/api/v1/tags/"
COURSES = "/api/v1/courses/"

NAMES_WITHOUT_LATIN = ["Физика", "数学", "🚀", "الفيزياء", "Φυσική", "物理 🚀"]
SLUG = re.compile(r"^[-a-z0-9]+$")


@pytest.mark.parametrize(
    ("url", "field"), [(CATEGORIES, "name"), (TAGS, "name"), (COURSES, "title")]
)
def test_every_name_without_latin_letters_gets_its_own_slug(
    admin_client_api, instructor_client, url, field
):
    client = instructor_client if url == COURSES else admin_client_api
    slugs = []
    for name in NAMES_WITHOUT_LATIN:
        # when
        response = client.post(url, {field: name})

        # then
        assert response.status_code == 201, (name, response.json())
        slug = response.json()["slug"]
        assert SLUG.match(slug), slug
        slugs.append(slug)
    assert len(set(slugs)) == len(NAMES_WITHOUT_LATIN)


@pytest.mark.parametrize("url", [CATEGORIES, TAGS])
def test_the_same_name_twice_is_still_409(admin_client_api, url):
    assert admin_client_api.post(url, {"name": "Физика"}).status_code == 201

    again = admin_client_api.post(url, {"name": "физика"})

    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "slug_taken"


def test_a_mixed_name_does_not_take_the_slug_of_its_latin_part(admin_client_api):
    # "Python для начинающих" was "python": 409 against an existing "Python"
    assert admin_client_api.post(CATEGORIES, {"name": "Python"}).json()["slug"] == "python"

    response = admin_client_api.post(CATEGORIES, {"name": "Python для начинающих"})

    assert response.status_code == 201
    assert response.json()["slug"].startswith("python-")


def test_tags_named_on_a_course_are_kept_whatever_their_script(instructor_client):
    # they were dropped without a word when their slug came out empty
    response = instructor_client.post(
        COURSES, {"title": "Математика", "tags": ["数学", "🚀", "algebra"]}, format="json"
    )

    assert response.status_code == 201, response.json()
    course = Course.objects.get(pk=response.json()["id"])
    assert sorted(course.tags.values_list("name", flat=True)) == ["algebra", "数学", "🚀"]
    assert all(SLUG.match(tag.slug) for tag in Tag.objects.all())


def test_two_courses_with_the_same_non_latin_title_get_two_slugs(instructor_client):
    first = instructor_client.post(COURSES, {"title": "Физика"}).json()["slug"]
    second = instructor_client.post(COURSES, {"title": "Физика"}).json()["slug"]

    assert first != second
    assert second.startswith(first)


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Data Science 101", "data-science-101"), ("Café", "cafe"), ("Rock & Roll", "rock-roll")],
)
def test_latin_names_keep_their_plain_slug(name, slug):
    assert slug_for(name, max_length=60, fallback="tag") == slug


def test_a_slug_fits_its_column():
    slug = slug_for("x" * 100 + "数", max_length=60, fallback="tag")

    assert len(slug) <= 60
    assert slug.startswith("x")
