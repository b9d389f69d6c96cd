"""Image and file URLs are absolute, built from the request's own host and port, in every
app's responses (the rule: lms.core.absolute_urls)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from lms.accounts.tests.factories import InstructorFactory
from lms.accounts.tokens import issue_token_pair
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.core.absolute_urls import absolute_url, file_url
from lms.learning import services as learning
from lms.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db

HOST = "testserver:8123"
BASE = f"http://{HOST}/"


def _client(user=None) -> APIClient:
    client = APIClient(HTTP_HOST=HOST)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


def test_every_app_answers_urls_on_the_host_that_asked(student):
    # given: an instructor with an avatar, courses with thumbnails, one studied, one carted
    teacher = InstructorFactory(avatar="avatars/teacher.webp")
    student.avatar = "avatars/student.webp"
    student.save()
    studied = make_course(instructor=teacher, thumbnail="thumbnails/studied.webp").course
    learning.enroll(student=student, course=studied, source="free")
    for_sale = PublishedCourseFactory(
        instructor=teacher, thumbnail="thumbnails/for-sale.webp", price=Decimal("20.00")
    )
    for_sale.co_instructors.add(InstructorFactory(avatar="avatars/co.webp"))
    client, anon, teaching = _client(student), _client(), _client(teacher)
    assert client.post("/api/v1/cart/items/", {"course_id": str(for_sale.pk)}).status_code == 201
    assert client.post(f"/api/v1/wishlist/{for_sale.slug}/").status_code == 201

    # when
    listed = anon.get("/api/v1/courses/").json()["results"]
    detail = anon.get(f"/api/v1/courses/{for_sale.slug}/").json()
    cart = client.get("/api/v1/cart/").json()
    wishlist = client.get("/api/v1/wishlist/").json()["results"]
    enrollments = client.get("/api/v1/enrollments/").json()["results"]
    continuing = client.get("/api/v1/dashboard/continue-learning/").json()["results"]
    recommended = client.get("/api/v1/dashboard/recommendations/").json()["results"]
    students = teaching.get(f"/api/v1/courses/{studied.slug}/students/").json()["results"]
    me = client.get("/api/v1/auth/me/").json()

    # then
    urls = {
        "catalog list thumbnails": [c["thumbnail"] for c in listed],
        "catalog list avatars": [c["instructor"]["avatar"] for c in listed],
        "catalog detail": [
            detail["thumbnail"],
            detail["instructor"]["avatar"],
            *(p["avatar"] for p in detail["co_instructors"]),
        ],
        "cart": [item["course"]["thumbnail"] for item in cart["items"]],
        "wishlist": [item["course"]["thumbnail"] for item in wishlist],
        "enrollments": [e["course"]["thumbnail"] for e in enrollments],
        "continue learning": [c["course"]["thumbnail"] for c in continuing],
        "recommendations": [c["thumbnail"] for c in recommended],
        "course students": [s["student"]["avatar"] for s in students],
        "me": [me["avatar"]],
    }
    assert all(urls.values()), urls
    wrong = {
        where: found
        for where, found in urls.items()
        if not all(url.startswith(BASE) for url in found)
    }
    assert wrong == {}


def test_without_a_request_backend_url_is_the_base(settings):
    # emails, tasks and PDFs have no request
    settings.BACKEND_URL = "https://api.example.com"

    assert file_url("thumbnails/x.webp") == "https://api.example.com/media/thumbnails/x.webp"
    assert absolute_url("/api/v1/x/") == "https://api.example.com/api/v1/x/"
    assert file_url("") is None


def test_a_url_the_storage_made_absolute_is_kept():
    assert absolute_url("https://cdn.example.com/x.webp") == "https://cdn.example.com/x.webp"
