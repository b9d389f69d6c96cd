"""Reports and moderation: one report per user and item, the staff queue with counts, hide
and restore (audited; a hidden review leaves the course rating), dismiss."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import UserFactory
from lms.audit.models import AuditLog
from lms.catalog.models import Course
from lms.community.models import Report
from lms.conftest import error_codes

from .factories import discussion, reply, review

pytestmark = pytest.mark.django_db


def report(client, prefix, item_id, reason="spam", detail=""):
    return client.post(
        f"/api/v1/{prefix}/{item_id}/report/", {"reason": reason, "detail": detail}, format="json"
    )


def test_every_kind_can_be_reported_once_per_user(client_for, course, enrolled):
    author = enrolled()
    reporter = client_for(enrolled())
    written = review(course.course, author)
    thread = discussion(course.course, author)
    answer = reply(thread, author)
    comment = (
        client_for(author)
        .post(f"/api/v1/lessons/{course.lesson.pk}/comments/", {"body": "buy now"}, format="json")
        .json()["id"]
    )

    for prefix, item_id in [
        ("reviews", written.pk),
        ("discussions", thread.pk),
        ("replies", answer.pk),
        ("comments", comment),
    ]:
        response = report(reporter, prefix, item_id)
        assert response.status_code == 201, (prefix, response.content)
        assert response.json()["status"] == "open"
        again = report(reporter, prefix, item_id, reason="abuse")
        assert again.status_code == 409
        assert error_codes(again) == ["already_reported"]
    assert Report.objects.count() == 4


def test_bad_reports(client_for, anon_client, course, enrolled):
    author = enrolled()
    written = review(course.course, author)
    assert report(anon_client, "reviews", written.pk).status_code == 401
    assert (
        report(client_for(UserFactory()), "reviews", written.pk, reason="boring").status_code == 400
    )
    response = report(client_for(UserFactory()), "reviews", written.pk, detail="x" * 2001)
    assert response.status_code == 400
    response = report(client_for(author), "reviews", written.pk)
    assert response.status_code == 400
    assert error_codes(response) == ["own_item"]
    missing = "00000000-0000-0000-0000-000000000000"
    assert report(client_for(UserFactory()), "reviews", missing).status_code == 404
    # a discussion is only for members: an outsider cannot even see it to report it
    thread = discussion(course.course, author)
    assert report(client_for(UserFactory()), "discussions", thread.pk).status_code == 403


def test_the_queue_groups_reports_per_item_oldest_first(client_for, course, enrolled, manager):
    author = enrolled()
    first = review(course.course, author, rating=1)
    thread = discussion(course.course, author)
    for reason in ("spam", "abuse", "spam"):
        report(client_for(enrolled()), "reviews", first.pk, reason=reason)
    report(client_for(enrolled()), "discussions", thread.pk, reason="off_topic")

    response = client_for(manager).get("/api/v1/moderation/reports/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["kind"], row["item_id"], row["report_count"]) for row in rows] == [
        ("review", str(first.pk), 3),
        ("discussion", str(thread.pk), 1),
    ]
    assert rows[0]["reasons"] == {"spam": 2, "abuse": 1, "off_topic": 0, "other": 0}
    assert rows[0]["author"]["id"] == str(author.pk)
    assert rows[0]["visibility"] == "visible"
    assert rows[1]["excerpt"].startswith(thread.title)


def test_the_queue_is_for_staff_only(client_for, anon_client, course, admin_user):
    assert anon_client.get("/api/v1/moderation/reports/").status_code == 401
    assert client_for(UserFactory()).get("/api/v1/moderation/reports/").status_code == 403
    assert client_for(course.instructor).get("/api/v1/moderation/reports/").status_code == 403
    assert client_for(admin_user).get("/api/v1/moderation/reports/").status_code == 200


@pytest.mark.parametrize("count", [1, 4, 12])
def test_the_queue_runs_a_fixed_number_of_queries(
    client_for, course, enrolled, manager, django_assert_max_num_queries, count
):
    author = enrolled()
    thread = discussion(course.course, author)
    for _ in range(count):
        report(client_for(enrolled()), "reviews", review(course.course, enrolled()).pk)
        report(client_for(enrolled()), "replies", reply(thread, author).pk)
    client = client_for(manager)
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/moderation/reports/", {"page_size": 100})
    assert len(response.json()["results"]) == 2 * count


def test_hiding_a_review_takes_it_out_of_the_rating_and_out_of_sight(
    client_for, anon_client, course, enrolled, manager
):
    # given
    author = enrolled()
    bad = review(course.course, author, rating=1)
    review(course.course, enrolled(), rating=5)
    report(client_for(enrolled()), "reviews", bad.pk)
    assert Course.objects.get(pk=course.course.pk).rating == 3.0

    # when
    response = client_for(manager).post(f"/api/v1/moderation/items/review/{bad.pk}/hide/")

    # then
    assert response.status_code == 200, response.content
    assert response.json() == {
        "kind": "review",
        "item_id": str(bad.pk),
        "visibility": "hidden",
        "reports_resolved": 1,
    }
    fresh = Course.objects.get(pk=course.course.pk)
    assert (fresh.rating, fresh.review_count) == (5.0, 1)
    public = anon_client.get(f"/api/v1/courses/{course.course.pk}/reviews/").json()
    assert public["count"] == 1
    assert anon_client.get(f"/api/v1/reviews/{bad.pk}/").status_code == 404
    # the author and staff still see it, marked hidden
    own = client_for(author).get(f"/api/v1/courses/{course.course.pk}/reviews/").json()
    assert {row["visibility"] for row in own["results"]} == {"visible", "hidden"}
    assert client_for(manager).get(f"/api/v1/reviews/{bad.pk}/").json()["visibility"] == "hidden"
    assert Report.objects.get().decision == "hidden"
    line = AuditLog.objects.get(action="community.item_hidden")
    assert (line.actor_id, line.target_id) == (manager.pk, str(bad.pk))
    assert client_for(manager).get("/api/v1/moderation/reports/").json()["count"] == 0

    # and restoring brings it back
    again = client_for(manager).post(f"/api/v1/moderation/items/review/{bad.pk}/hide/")
    assert again.status_code == 409
    assert error_codes(again) == ["invalid_moderation_state"]
    restored = client_for(manager).post(f"/api/v1/moderation/items/review/{bad.pk}/restore/")
    assert restored.json()["visibility"] == "visible"
    assert Course.objects.get(pk=course.course.pk).rating == 3.0
    assert AuditLog.objects.filter(action="community.item_restored").count() == 1


def test_hidden_discussions_replies_and_comments(client_for, course, enrolled, manager):
    author = enrolled()
    reader = client_for(enrolled())
    thread = discussion(course.course, author)
    answer = reply(thread, author)
    staff = client_for(manager)

    assert staff.post(f"/api/v1/moderation/items/reply/{answer.pk}/hide/").status_code == 200
    replies = reader.get(f"/api/v1/discussions/{thread.pk}/replies/").json()
    assert replies["count"] == 0
    assert reader.get(f"/api/v1/discussions/{thread.pk}/").json()["reply_count"] == 0
    assert client_for(author).get(f"/api/v1/discussions/{thread.pk}/replies/").json()["count"] == 1

    assert staff.post(f"/api/v1/moderation/items/discussion/{thread.pk}/hide/").status_code == 200
    assert reader.get(f"/api/v1/discussions/{thread.pk}/").status_code == 404
    listed = reader.get(f"/api/v1/courses/{course.course.pk}/discussions/").json()
    assert listed["count"] == 0
    assert client_for(author).get(f"/api/v1/discussions/{thread.pk}/").status_code == 200

    comment = (
        client_for(author)
        .post(f"/api/v1/lessons/{course.lesson.pk}/comments/", {"body": "rude"}, format="json")
        .json()["id"]
    )
    assert staff.post(f"/api/v1/moderation/items/comment/{comment}/hide/").status_code == 200
    assert reader.get(f"/api/v1/lessons/{course.lesson.pk}/comments/").json()["count"] == 0


def test_dismissing_keeps_the_item(client_for, course, enrolled, manager):
    written = review(course.course, enrolled())
    report(client_for(enrolled()), "reviews", written.pk)
    url = f"/api/v1/moderation/items/review/{written.pk}/dismiss/"

    response = client_for(manager).post(url)

    assert response.status_code == 200
    assert response.json()["reports_resolved"] == 1
    assert response.json()["visibility"] == "visible"
    assert Report.objects.get().decision == "dismissed"
    assert client_for(manager).post(url).status_code == 409
    assert AuditLog.objects.filter(action="community.reports_dismissed").count() == 1


def test_moderation_actions_are_for_staff_and_real_items(client_for, course, enrolled, manager):
    written = review(course.course, enrolled())
    url = f"/api/v1/moderation/items/review/{written.pk}/hide/"
    assert client_for(course.instructor).post(url).status_code == 403
    assert client_for(enrolled()).post(url).status_code == 403
    missing = "00000000-0000-0000-0000-000000000000"
    staff = client_for(manager)
    assert staff.post(f"/api/v1/moderation/items/review/{missing}/hide/").status_code == 404
    assert staff.post(f"/api/v1/moderation/items/poem/{written.pk}/hide/").status_code == 404


def test_reports_of_a_deleted_review_leave_the_queue(client_for, course, enrolled, manager):
    author = enrolled()
    written = review(course.course, author)
    report(client_for(enrolled()), "reviews", written.pk)

    assert client_for(author).delete(f"/api/v1/reviews/{written.pk}/").status_code == 204

    assert client_for(manager).get("/api/v1/moderation/reports/").json()["count"] == 0


def test_reports_of_a_vanished_comment_can_be_dismissed(client_for, course, enrolled, manager):
    author = enrolled()
    comment = (
        client_for(author)
        .post(f"/api/v1/lessons/{course.lesson.pk}/comments/", {"body": "spam"}, format="json")
        .json()["id"]
    )
    report(client_for(enrolled()), "comments", comment)
    course.lesson.delete()  # its comments go with it
    staff = client_for(manager)
    [row] = staff.get("/api/v1/moderation/reports/").json()["results"]
    assert (row["visibility"], row["author"], row["excerpt"]) == (None, None, "")

    response = staff.post(f"/api/v1/moderation/items/comment/{comment}/dismiss/")

    assert response.status_code == 200
    assert response.json()["visibility"] is None
    assert staff.get("/api/v1/moderation/reports/").json()["count"] == 0
    assert staff.post(f"/api/v1/moderation/items/comment/{comment}/dismiss/").status_code == 404
