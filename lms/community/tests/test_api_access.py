"""Every community endpoint that writes, or reads members' content, refuses anonymous
callers with 401 in the error shape; unknown ids are 404."""

from __future__ import annotations

import pytest

from .factories import discussion, reply, review

pytestmark = pytest.mark.django_db

MISSING = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def items(course, enrolled):
    author = enrolled()
    thread = discussion(course.course, author)
    return {
        "course": course.course.pk,
        "review": review(course.course, author).pk,
        "discussion": thread.pk,
        "reply": reply(thread, author).pk,
        "lesson": course.lesson.pk,
    }


ENDPOINTS = [
    ("post", "/api/v1/courses/{course}/reviews/"),
    ("patch", "/api/v1/reviews/{review}/"),
    ("delete", "/api/v1/reviews/{review}/"),
    ("post", "/api/v1/reviews/{review}/helpful/"),
    ("delete", "/api/v1/reviews/{review}/helpful/"),
    ("post", "/api/v1/reviews/{review}/reply/"),
    ("post", "/api/v1/reviews/{review}/report/"),
    ("get", "/api/v1/lessons/{lesson}/comments/"),
    ("post", "/api/v1/lessons/{lesson}/comments/"),
    ("get", "/api/v1/courses/{course}/discussions/"),
    ("post", "/api/v1/courses/{course}/discussions/"),
    ("get", "/api/v1/discussions/{discussion}/"),
    ("get", "/api/v1/discussions/{discussion}/replies/"),
    ("post", "/api/v1/discussions/{discussion}/replies/"),
    ("post", "/api/v1/discussions/{discussion}/accept/"),
    ("post", "/api/v1/discussions/{discussion}/pin/"),
    ("post", "/api/v1/discussions/{discussion}/lock/"),
    ("post", "/api/v1/discussions/{discussion}/resolve/"),
    ("post", "/api/v1/discussions/{discussion}/report/"),
    ("post", "/api/v1/replies/{reply}/upvote/"),
    ("post", "/api/v1/replies/{reply}/report/"),
    ("get", "/api/v1/moderation/reports/"),
    ("post", "/api/v1/moderation/items/review/{review}/hide/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_is_401(anon_client, items, method, path):
    response = getattr(anon_client, method)(path.format(**items), {}, format="json")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


BY_ID = [(m, p) for m, p in ENDPOINTS if "{course}" not in p and "moderation" not in p]


@pytest.mark.parametrize(("method", "path"), BY_ID)
def test_unknown_ids_are_404(client_for, enrolled, items, method, path):
    unknown = dict.fromkeys(items, MISSING)
    response = getattr(client_for(enrolled()), method)(path.format(**unknown), {}, format="json")
    assert response.status_code == 404
