"""The Django admin: community rows read only, moderated through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from lms.audit.models import AuditLog
from lms.catalog.models import Course
from lms.community.models import Discussion, Review

from .factories import discussion, reply, review

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_every_model_lists_escaped_and_refuses_adds(admin_site, course, enrolled):
    author = enrolled()
    review(course.course, author, comment="<script>alert(1)</script>")
    reply(discussion(course.course, author, title="<b>bold</b>"), author)
    for model in ("review", "lessoncomment", "discussion", "discussionreply", "report"):
        response = admin_site.get(f"/admin/community/{model}/")
        assert response.status_code == 200, model
        assert b"<b>bold</b>" not in response.content
        assert admin_site.get(f"/admin/community/{model}/add/").status_code == 403
    page = admin_site.get("/admin/community/discussion/").content
    assert b"&lt;b&gt;bold&lt;/b&gt;" in page


def test_hiding_a_review_in_the_admin_goes_through_the_service(admin_site, course, enrolled):
    kept = review(course.course, enrolled(), rating=5)
    hidden = review(course.course, enrolled(), rating=1)

    response = admin_site.post(
        "/admin/community/review/", {"action": "hide", "_selected_action": [str(hidden.pk)]}
    )

    assert response.status_code == 302
    assert Review.objects.get(pk=hidden.pk).visibility == "hidden"
    assert Review.objects.get(pk=kept.pk).visibility == "visible"
    assert Course.objects.get(pk=course.course.pk).rating == 5.0
    assert AuditLog.objects.filter(action="community.item_hidden").count() == 1
    admin_site.post(
        "/admin/community/review/", {"action": "restore", "_selected_action": [str(hidden.pk)]}
    )
    assert Course.objects.get(pk=course.course.pk).rating == 3.0


def test_discussion_actions_pin_and_lock(admin_site, course, enrolled):
    thread = discussion(course.course, enrolled())
    for action in ("pin", "lock"):
        response = admin_site.post(
            "/admin/community/discussion/",
            {"action": action, "_selected_action": [str(thread.pk)]},
        )
        assert response.status_code == 302
    fresh = Discussion.objects.get(pk=thread.pk)
    assert (fresh.is_pinned, fresh.is_locked) == (True, True)
    # a move the state table refuses is reported, not a 500
    response = admin_site.post(
        "/admin/community/discussion/",
        {"action": "pin", "_selected_action": [str(thread.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert b"already pinned" in response.content
