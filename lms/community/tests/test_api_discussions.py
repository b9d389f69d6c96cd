"""Discussions and Q&A: post, list, search, reply (threaded), upvote, accept an answer,
pin/lock/resolve; the notifications they send; bad input and access."""

from __future__ import annotations

import pytest

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.audit.models import AuditLog
from lms.community.models import Discussion, DiscussionReply
from lms.conftest import error_codes
from lms.notifications.models import Notification

from .factories import discussion, reply

pytestmark = pytest.mark.django_db


def discussions_url(course):
    return f"/api/v1/courses/{course.pk}/discussions/"


def test_an_enrolled_student_asks_and_the_instructor_hears_of_it(client_for, course, enrolled):
    student = enrolled()

    response = client_for(student).post(
        discussions_url(course.course),
        {"title": "Where is the dataset?", "body": "I cannot find it.", "kind": "question"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "question"
    assert body["author"]["id"] == str(student.pk)
    assert (body["is_pinned"], body["is_locked"], body["is_resolved"]) == (False, False, False)
    assert body["accepted_reply"] is None
    assert body["reply_count"] == 0
    note = Notification.objects.get(user=course.instructor)
    assert note.data == {
        "kind": "question",
        "discussion_id": body["id"],
        "course_id": str(course.course.pk),
    }


def test_a_plain_discussion_does_not_notify_the_instructor(client_for, course, enrolled):
    response = client_for(enrolled()).post(
        discussions_url(course.course), {"title": "Hello", "body": "Hi all"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "discussion"
    assert not Notification.objects.filter(user=course.instructor).exists()


def test_the_instructor_may_post_and_read(client_for, course):
    client = client_for(course.instructor)
    response = client.post(
        discussions_url(course.course), {"title": "Welcome", "body": "Ask here"}, format="json"
    )
    assert response.status_code == 201
    assert client.get(discussions_url(course.course)).json()["count"] == 1


def test_outsiders_are_refused(anon_client, client_for, course):
    outsider = client_for(UserFactory())
    assert anon_client.get(discussions_url(course.course)).status_code == 401
    response = outsider.get(discussions_url(course.course))
    assert response.status_code == 403
    assert error_codes(response) == ["not_enrolled"]
    response = outsider.post(
        discussions_url(course.course), {"title": "x", "body": "y"}, format="json"
    )
    assert response.status_code == 403
    thread = discussion(course.course, course.instructor)
    assert outsider.get(f"/api/v1/discussions/{thread.pk}/").status_code == 403
    assert outsider.get(f"/api/v1/discussions/{thread.pk}/replies/").status_code == 403


def test_staff_read_but_do_not_post(client_for, course, manager):
    discussion(course.course, course.instructor)
    client = client_for(manager)
    assert client.get(discussions_url(course.course)).json()["count"] == 1
    response = client.post(
        discussions_url(course.course), {"title": "x", "body": "y"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "", "body": "y"},
        {"title": "x" * 201, "body": "y"},
        {"title": "x", "body": "y" * 10_001},
        {"title": "x", "body": "y", "kind": "poll"},
        {"body": "y"},
    ],
)
def test_bad_discussions_are_400(client_for, course, enrolled, payload):
    response = client_for(enrolled()).post(discussions_url(course.course), payload, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_pinned_first_then_latest_activity(client_for, course, enrolled):
    student = enrolled()
    first = discussion(course.course, student, title="First")
    second = discussion(course.course, student, title="Second")
    client_for(course.instructor).post(f"/api/v1/discussions/{first.pk}/pin/")

    response = client_for(student).get(discussions_url(course.course))

    assert [row["title"] for row in response.json()["results"]] == ["First", "Second"]
    reply(second, student)
    client_for(course.instructor).post(f"/api/v1/discussions/{first.pk}/unpin/")
    response = client_for(student).get(discussions_url(course.course))
    assert [row["title"] for row in response.json()["results"]] == ["Second", "First"]


def test_filters_by_kind_and_resolved(client_for, course, enrolled):
    student = enrolled()
    question = discussion(course.course, student, title="Q")
    discussion(course.course, student, title="D", kind="discussion")
    client_for(course.instructor).post(f"/api/v1/discussions/{question.pk}/resolve/")
    client = client_for(student)

    def titles(**params):
        response = client.get(discussions_url(course.course), params)
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles(kind="question") == ["Q"]
    assert titles(resolved="true") == ["Q"]
    assert titles(resolved="false") == ["D"]
    assert client.get(discussions_url(course.course), {"kind": "poll"}).status_code == 400
    assert client.get(discussions_url(course.course), {"resolved": "maybe"}).status_code == 400


def test_search_within_the_course(client_for, course, enrolled):
    student = enrolled()
    discussion(course.course, student, title="Gradient descent diverges")
    discussion(course.course, student, title="Installing the toolkit")
    other_course_thread = discussion(course.course, student, title="Unrelated")
    reply(other_course_thread, student, body="gradient clipping helped me")

    response = client_for(student).get(discussions_url(course.course), {"search": "gradient"})

    assert response.status_code == 200
    titles = [row["title"] for row in response.json()["results"]]
    assert "Gradient descent diverges" in titles
    assert "Installing the toolkit" not in titles
    assert (
        client_for(student).get(discussions_url(course.course), {"search": "x" * 201}).status_code
        == 400
    )


@pytest.mark.parametrize("page_size", [1, 5, 30])
def test_lists_run_a_fixed_number_of_queries(
    client_for, course, enrolled, django_assert_max_num_queries, page_size
):
    student = enrolled()
    threads = [discussion(course.course, enrolled()) for _ in range(page_size)]
    for _ in range(page_size):
        reply(threads[0], enrolled())
    client = client_for(student)

    with django_assert_max_num_queries(6):
        response = client.get(discussions_url(course.course), {"page_size": page_size})
    assert len(response.json()["results"]) == page_size

    with django_assert_max_num_queries(6):
        response = client.get(
            f"/api/v1/discussions/{threads[0].pk}/replies/", {"page_size": page_size}
        )
    assert len(response.json()["results"]) == page_size


def test_replies_are_threaded_and_notify_the_author(client_for, course, enrolled):
    asker = enrolled()
    helper = enrolled()
    thread = discussion(course.course, asker)
    client = client_for(helper)
    url = f"/api/v1/discussions/{thread.pk}/replies/"

    first = client.post(url, {"body": "Read chapter 2."}, format="json")
    assert first.status_code == 201, first.content
    nested = client_for(asker).post(
        url, {"body": "Which part?", "parent": first.json()["id"]}, format="json"
    )
    assert nested.status_code == 201
    assert nested.json()["parent_id"] == first.json()["id"]

    listed = client.get(url).json()
    assert [row["body"] for row in listed["results"]] == ["Read chapter 2.", "Which part?"]
    assert Discussion.objects.get(pk=thread.pk).reply_count == 2
    assert Notification.objects.filter(user=asker, data__kind="discussion_reply").count() == 1
    # the parent's author hears of the answer to their reply
    assert Notification.objects.filter(user=helper, data__kind="discussion_reply").count() == 1


def test_a_parent_from_another_discussion_is_400(client_for, course, enrolled):
    student = enrolled()
    one = discussion(course.course, student)
    other = discussion(course.course, student)
    foreign = reply(other, student)

    response = client_for(student).post(
        f"/api/v1/discussions/{one.pk}/replies/",
        {"body": "x", "parent": str(foreign.pk)},
        format="json",
    )

    assert response.status_code == 400
    assert error_codes(response) == ["invalid_parent"]


def test_a_locked_discussion_refuses_replies_with_409(client_for, course, enrolled):
    student = enrolled()
    thread = discussion(course.course, student)
    instructor = client_for(course.instructor)
    assert instructor.post(f"/api/v1/discussions/{thread.pk}/lock/").status_code == 200

    for client in (client_for(student), instructor):
        response = client.post(
            f"/api/v1/discussions/{thread.pk}/replies/", {"body": "Hello?"}, format="json"
        )
        assert response.status_code == 409
        assert error_codes(response) == ["discussion_locked"]
    assert DiscussionReply.objects.count() == 0

    assert instructor.post(f"/api/v1/discussions/{thread.pk}/unlock/").status_code == 200
    response = client_for(student).post(
        f"/api/v1/discussions/{thread.pk}/replies/", {"body": "Hello?"}, format="json"
    )
    assert response.status_code == 201


def test_flag_moves_are_for_instructors_and_staff_and_audited(
    client_for, course, enrolled, manager
):
    student = enrolled()
    thread = discussion(course.course, student)
    url = f"/api/v1/discussions/{thread.pk}"

    assert client_for(student).post(f"{url}/pin/").status_code == 403
    assert client_for(InstructorFactory()).post(f"{url}/pin/").status_code == 403
    response = client_for(manager).post(f"{url}/pin/")
    assert response.status_code == 200
    assert response.json()["is_pinned"] is True
    again = client_for(course.instructor).post(f"{url}/pin/")
    assert again.status_code == 409
    assert error_codes(again) == ["invalid_discussion_state"]
    for move, field, value in [
        ("lock", "is_locked", True),
        ("resolve", "is_resolved", True),
        ("unresolve", "is_resolved", False),
        ("unlock", "is_locked", False),
        ("unpin", "is_pinned", False),
    ]:
        response = client_for(course.instructor).post(f"{url}/{move}/")
        assert response.status_code == 200, (move, response.content)
        assert response.json()[field] is value
    actions = list(
        AuditLog.objects.filter(target_id=str(thread.pk))
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions == [
        "community.discussion_pinned",
        "community.discussion_locked",
        "community.discussion_resolved",
        "community.discussion_unresolved",
        "community.discussion_unlocked",
        "community.discussion_unpinned",
    ]


def test_the_author_accepts_an_answer_and_its_author_hears_of_it(client_for, course, enrolled):
    asker = enrolled()
    helper = enrolled()
    thread = discussion(course.course, asker)
    answer = reply(thread, helper, body="Use the second dataset.")

    response = client_for(asker).post(
        f"/api/v1/discussions/{thread.pk}/accept/", {"reply_id": str(answer.pk)}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted_reply"]["id"] == str(answer.pk)
    assert body["accepted_reply_id"] == str(answer.pk)
    assert body["is_resolved"] is True
    assert Notification.objects.filter(user=helper, data__kind="answer_accepted").count() == 1
    replies = client_for(asker).get(f"/api/v1/discussions/{thread.pk}/replies/").json()
    assert [row["is_accepted"] for row in replies["results"]] == [True]
    detail = client_for(helper).get(f"/api/v1/discussions/{thread.pk}/").json()
    assert detail["accepted_reply"]["body"] == "Use the second dataset."


def test_the_instructor_may_accept_but_another_student_may_not(client_for, course, enrolled):
    asker = enrolled()
    thread = discussion(course.course, asker)
    answer = reply(thread, course.instructor)
    url = f"/api/v1/discussions/{thread.pk}/accept/"

    response = client_for(enrolled()).post(url, {"reply_id": str(answer.pk)}, format="json")
    assert response.status_code == 403
    response = client_for(course.instructor).post(url, {"reply_id": str(answer.pk)}, format="json")
    assert response.status_code == 200


def test_accept_refuses_foreign_replies_and_plain_discussions(client_for, course, enrolled):
    asker = enrolled()
    question = discussion(course.course, asker)
    talk = discussion(course.course, asker, kind="discussion")
    foreign = reply(talk, enrolled())
    client = client_for(asker)

    response = client.post(
        f"/api/v1/discussions/{question.pk}/accept/", {"reply_id": str(foreign.pk)}, format="json"
    )
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_answer"]
    response = client.post(
        f"/api/v1/discussions/{talk.pk}/accept/", {"reply_id": str(foreign.pk)}, format="json"
    )
    assert response.status_code == 409
    assert error_codes(response) == ["not_a_question"]
    response = client.post(
        f"/api/v1/discussions/{question.pk}/accept/", {"reply_id": "nope"}, format="json"
    )
    assert response.status_code == 400


def test_upvotes_once_per_user_never_ones_own(client_for, course, enrolled):
    author = enrolled()
    thread = discussion(course.course, author)
    answer = reply(thread, author)
    url = f"/api/v1/replies/{answer.pk}/upvote/"

    response = client_for(author).post(url)
    assert response.status_code == 400
    assert error_codes(response) == ["own_item"]
    voter = client_for(enrolled())
    assert voter.post(url).json()["upvote_count"] == 1
    response = voter.post(url)
    assert (response.json()["upvote_count"], response.json()["upvoted"]) == (1, True)
    assert client_for(course.instructor).post(url).json()["upvote_count"] == 2
    response = voter.delete(url)
    assert (response.json()["upvote_count"], response.json()["upvoted"]) == (1, False)
    assert client_for(UserFactory()).post(url).status_code == 404


def test_html_is_kept_as_text(client_for, course, enrolled):
    student = enrolled()
    text = "<img src=x onerror=alert(1)>"
    response = client_for(student).post(
        discussions_url(course.course), {"title": text, "body": text}, format="json"
    )
    assert response.json()["title"] == text
    assert Discussion.objects.get().body == text


def test_unknown_discussion_is_404(client_for, course, enrolled):
    missing = "00000000-0000-0000-0000-000000000000"
    client = client_for(enrolled())
    assert client.get(f"/api/v1/discussions/{missing}/").status_code == 404
    assert client.get("/api/v1/courses/nothing-here/discussions/").status_code == 404


def test_the_detail_runs_a_fixed_number_of_queries(
    client_for, course, enrolled, django_assert_max_num_queries
):
    asker = enrolled()
    thread = discussion(course.course, asker)
    answer = reply(thread, enrolled())
    client = client_for(asker)
    client.post(f"/api/v1/discussions/{thread.pk}/accept/", {"reply_id": str(answer.pk)})

    with django_assert_max_num_queries(5):
        response = client.get(f"/api/v1/discussions/{thread.pk}/")
    assert response.json()["accepted_reply"]["id"] == str(answer.pk)
