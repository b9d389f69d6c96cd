"""Community's exporter and eraser (lms.accounts.personal_data)."""

from __future__ import annotations

import pytest

from lms.accounts import personal_data
from lms.catalog.models import Course
from lms.community import personal_data as mine
from lms.community.models import Discussion, DiscussionReply, LessonComment, Review

from .factories import discussion, reply, review

pytestmark = pytest.mark.django_db


def test_both_are_registered():
    assert personal_data.exporters.get("community") is mine.export
    assert personal_data.erasers.get("community") is mine.erase


def test_the_export_holds_what_the_person_wrote(course, enrolled):
    student = enrolled()
    review(course.course, student, rating=4, comment="Solid")
    thread = discussion(course.course, student, title="My question")
    reply(thread, student, body="My own follow-up")

    documents = {document.path: document.data for document in mine.export(student)}

    assert documents["community/reviews.json"][0]["comment"] == "Solid"
    assert documents["community/discussions.json"][0]["title"] == "My question"
    assert documents["community/discussion_replies.json"][0]["body"] == "My own follow-up"
    assert documents["community/reports.json"] == []


def test_erasing_keeps_places_and_ratings_but_not_text(client_for, course, enrolled):
    # given
    leaver = enrolled()
    reader = enrolled()
    review(course.course, leaver, rating=2, comment="Private thoughts")
    thread = discussion(course.course, leaver, title="Personal question")
    reply(thread, reader, body="An answer")
    reply(thread, leaver, body="Thanks, from me")
    client_for(leaver).post(
        f"/api/v1/lessons/{course.lesson.pk}/comments/", {"body": "My comment"}, format="json"
    )

    # when: the eraser, then accounts' anonymisation of the row
    mine.erase(leaver)
    mine.erase(leaver)  # idempotent
    leaver.first_name, leaver.last_name = personal_data.DELETED_USER_NAME, ""
    leaver.email = f"deleted-{leaver.pk.hex}@deleted.invalid"
    leaver.save()

    # then
    assert Review.objects.get().comment == ""
    fresh = Course.objects.get(pk=course.course.pk)
    assert (fresh.rating, fresh.review_count) == (2.0, 1)
    assert Discussion.objects.get().title == mine.ERASED_TEXT
    assert DiscussionReply.objects.get(author=leaver).body == mine.ERASED_TEXT
    assert DiscussionReply.objects.get(author=reader).body == "An answer"
    assert LessonComment.objects.get().deleted_at is not None
    listed = client_for(reader).get(f"/api/v1/courses/{course.course.pk}/reviews/").json()
    assert listed["results"][0]["author"]["name"] == "Deleted user"
    assert listed["results"][0]["author"]["avatar"] is None
