"""Lesson comments: threaded posts by members, edit and delete by the author, removal by
the course's instructors and staff (audited); bad input and access."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.audit.models import AuditLog
from lms.catalog.tests.factories import LessonFactory, SectionFactory
from lms.community.models import LessonComment
from lms.conftest import error_codes
from lms.notifications.models import Notification

pytestmark = pytest.mark.django_db


def comments_url(lesson):
    return f"/api/v1/lessons/{lesson.pk}/comments/"


def post(client, lesson, body="Nice", parent=None):
    payload = {"body": body}
    if parent is not None:
        payload["parent"] = parent
    return client.post(comments_url(lesson), payload, format="json")


def test_students_and_instructors_comment_in_threads(client_for, course, enrolled):
    student = enrolled()
    first = post(client_for(student), course.lesson, "What is step 3?")
    assert first.status_code == 201, first.content
    answer = post(client_for(course.instructor), course.lesson, "See 2:30.", first.json()["id"])
    assert answer.status_code == 201
    assert answer.json()["parent_id"] == first.json()["id"]
    assert answer.json()["author"]["id"] == str(course.instructor.pk)

    listed = client_for(student).get(comments_url(course.lesson)).json()
    assert [row["body"] for row in listed["results"]] == ["What is step 3?", "See 2:30."]
    assert Notification.objects.filter(user=student, data__kind="comment_reply").count() == 1


def test_a_parent_from_another_lesson_is_400(client_for, course, enrolled):
    student = enrolled()
    other_lesson = LessonFactory(section=SectionFactory(course=course.course), course=course.course)
    foreign = post(client_for(student), other_lesson).json()["id"]

    response = post(client_for(student), course.lesson, "x", foreign)

    assert response.status_code == 400
    assert error_codes(response) == ["invalid_parent"]


def test_outsiders_are_refused(anon_client, client_for, course):
    assert anon_client.get(comments_url(course.lesson)).status_code == 401
    outsider = client_for(UserFactory())
    assert outsider.get(comments_url(course.lesson)).status_code == 403
    response = post(outsider, course.lesson)
    assert response.status_code == 403
    assert error_codes(response) == ["not_enrolled"]
    assert post(client_for(InstructorFactory()), course.lesson).status_code == 403
    missing = "00000000-0000-0000-0000-000000000000"
    assert outsider.get(f"/api/v1/lessons/{missing}/comments/").status_code == 404


@pytest.mark.parametrize(
    "payload", [{"body": ""}, {"body": "x" * 10_001}, {}, {"body": "x", "parent": "no"}]
)
def test_bad_comments_are_400(client_for, course, enrolled, payload):
    response = client_for(enrolled()).post(comments_url(course.lesson), payload, format="json")
    assert response.status_code == 400


def test_the_author_edits_and_deletes(client_for, course, enrolled):
    student = enrolled()
    client = client_for(student)
    comment_id = post(client, course.lesson, "Typo hre").json()["id"]
    url = f"/api/v1/comments/{comment_id}/"

    response = client.patch(url, {"body": "Typo here"}, format="json")
    assert response.status_code == 200
    assert response.json()["body"] == "Typo here"
    assert response.json()["edited_at"] is not None
    assert client_for(enrolled()).patch(url, {"body": "mine now"}, format="json").status_code == 404

    assert client.delete(url).status_code == 204
    listed = client.get(comments_url(course.lesson)).json()["results"]
    assert listed[0]["is_deleted"] is True
    assert (listed[0]["body"], listed[0]["author"]) == ("", None)
    assert client.patch(url, {"body": "back"}, format="json").status_code == 409


def test_instructors_and_staff_remove_comments_audited(client_for, course, enrolled, manager):
    student = enrolled()
    first = post(client_for(student), course.lesson, "spam spam").json()["id"]
    second = post(client_for(student), course.lesson, "more spam").json()["id"]

    assert client_for(enrolled()).delete(f"/api/v1/comments/{first}/").status_code == 403
    assert client_for(course.instructor).delete(f"/api/v1/comments/{first}/").status_code == 204
    assert client_for(manager).delete(f"/api/v1/comments/{second}/").status_code == 204

    assert LessonComment.objects.filter(deleted_at__isnull=False).count() == 2
    lines = AuditLog.objects.filter(action="community.comment_removed")
    assert {line.actor_id for line in lines} == {course.instructor.pk, manager.pk}


@pytest.mark.parametrize("page_size", [1, 10, 40])
def test_the_list_runs_a_fixed_number_of_queries(
    client_for, course, enrolled, django_assert_max_num_queries, page_size
):
    for _ in range(page_size):
        post(client_for(enrolled()), course.lesson)
    client = client_for(enrolled())
    with django_assert_max_num_queries(6):
        response = client.get(comments_url(course.lesson), {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
