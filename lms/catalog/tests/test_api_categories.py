from __future__ import annotations

import pytest

from lms.audit.models import AuditLog
from lms.catalog.models import Category, Tag
from lms.catalog.tests.factories import (
    CategoryFactory,
    CourseFactory,
    PublishedCourseFactory,
    TagFactory,
)
from lms.conftest import error_codes

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories/"


def test_categories_are_public_with_published_course_counts(
    anon_client, django_assert_max_num_queries
):
    python = CategoryFactory(name="Python", slug="python", icon="code", order=1)
    design = CategoryFactory(name="Design", slug="design", order=2)
    PublishedCourseFactory(category=python)
    PublishedCourseFactory(category=python)
    CourseFactory(category=design)  # draft: not counted
    with django_assert_max_num_queries(2):
        response = anon_client.get(CATEGORIES)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(c["slug"], c["course_count"]) for c in results] == [("python", 2), ("design", 0)]
    assert set(results[0]) == {"id", "name", "slug", "icon", "parent", "order", "course_count"}
    assert anon_client.get(f"{CATEGORIES}python/").json()["id"] == str(python.pk)


def test_admin_creates_edits_and_deletes_categories(admin_client_api):
    response = admin_client_api.post(CATEGORIES, {"name": "Data Science", "icon": "chart"})
    assert response.status_code == 201
    assert response.json()["slug"] == "data-science"
    child = admin_client_api.post(
        CATEGORIES, {"name": "Statistics", "parent": response.json()["id"]}
    )
    assert child.json()["parent"] == response.json()["id"]
    path = f"{CATEGORIES}{child.json()['id']}/"
    assert admin_client_api.patch(path, {"order": 3}).json()["order"] == 3
    assert admin_client_api.delete(path).status_code == 204
    assert AuditLog.objects.filter(action="category.create").count() == 2


def test_category_writes_are_admin_only(anon_client, instructor_client, manager_client):
    assert anon_client.post(CATEGORIES, {"name": "X"}).status_code == 401
    assert instructor_client.post(CATEGORIES, {"name": "X"}).status_code == 403
    assert manager_client.post(CATEGORIES, {"name": "X"}).status_code == 403
    assert not Category.objects.exists()


def test_category_bad_input(admin_client_api):
    parent = CategoryFactory(slug="taken")
    assert admin_client_api.post(CATEGORIES, {"name": ""}).status_code == 400
    response = admin_client_api.post(CATEGORIES, {"name": "Taken", "slug": "taken"})
    assert response.status_code == 409
    response = admin_client_api.patch(f"{CATEGORIES}{parent.pk}/", {"parent": str(parent.pk)})
    assert response.status_code == 400
    assert error_codes(response) == ["category_cycle"]
    response = admin_client_api.post(
        CATEGORIES, {"name": "Y", "parent": "00000000-0000-0000-0000-000000000000"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "parent"


def test_category_in_use_cannot_be_deleted(admin_client_api):
    category = CategoryFactory()
    CourseFactory(category=category)
    response = admin_client_api.delete(f"{CATEGORIES}{category.pk}/")
    assert response.status_code == 409
    assert error_codes(response) == ["category_in_use"]


def test_tags_public_read_admin_write(anon_client, admin_client_api, instructor_client):
    TagFactory(name="python", slug="python")
    assert anon_client.get("/api/v1/tags/").json()["results"][0]["slug"] == "python"
    assert instructor_client.post("/api/v1/tags/", {"name": "rust"}).status_code == 403
    response = admin_client_api.post("/api/v1/tags/", {"name": "Machine Learning"})
    assert response.status_code == 201
    assert response.json()["slug"] == "machine-learning"
    assert admin_client_api.post("/api/v1/tags/", {"name": "machine learning"}).status_code == 409
    tag = Tag.objects.get(slug="machine-learning")
    assert admin_client_api.delete(f"/api/v1/tags/{tag.pk}/").status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()
