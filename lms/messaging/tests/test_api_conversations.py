"""Conversations and messages over HTTP (API.md, Community; issue 12 item 5)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.conftest import error_codes
from lms.learning.models import EnrollmentStatus
from lms.learning.tests.factories import EnrollmentFactory
from lms.messaging import selectors, services
from lms.messaging.models import Conversation, Message, MessageRead
from lms.messaging.tests.factories import ConversationFactory, MessageFactory, enrolled_pair
from lms.notifications.models import Category, Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversations/"


def messages_url(conversation):
    return f"{URL}{conversation.pk}/messages/"


def started(student, instructor):
    return services.start_conversation(user=student, participant_id=instructor.pk)[0]


class TestStartConversation:
    def test_a_student_starts_one_with_their_instructor(self, client_for):
        student, instructor = enrolled_pair()

        response = client_for(student).post(URL, {"participant_id": str(instructor.pk)})

        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["student"]["id"] == str(student.pk)
        assert body["instructor"] == {
            "id": str(instructor.pk),
            "name": instructor.full_name,
            "avatar": None,
        }
        assert body["unread_count"] == 0
        assert body["last_message"] is None

    def test_a_second_start_from_either_side_finds_the_same_one(self, client_for):
        student, instructor = enrolled_pair()
        first = client_for(student).post(URL, {"participant_id": str(instructor.pk)}).json()

        again = client_for(student).post(URL, {"participant_id": str(instructor.pk)})
        reverse = client_for(instructor).post(URL, {"participant_id": str(student.pk)})

        assert again.status_code == reverse.status_code == 200
        assert again.json()["id"] == reverse.json()["id"] == first["id"]
        assert Conversation.objects.count() == 1

    def test_a_co_instructor_shares_the_enrollment(self, client_for):
        student, co_instructor = UserFactory(), InstructorFactory()
        course = PublishedCourseFactory()
        course.co_instructors.add(co_instructor)
        EnrollmentFactory(student=student, course=course)

        response = client_for(co_instructor).post(URL, {"participant_id": str(student.pk)})

        assert response.status_code == 201
        assert response.json()["student"]["id"] == str(student.pk)

    def test_a_booking_is_shared_too(self, client_for, monkeypatch):
        student, tutor = UserFactory(), InstructorFactory()
        monkeypatch.setattr(
            selectors,
            "have_booking",
            lambda student_id, tutor_id: (student_id, tutor_id) == (student.pk, tutor.pk),
        )

        response = client_for(tutor).post(URL, {"participant_id": str(student.pk)})

        assert response.status_code == 201
        assert response.json()["instructor"]["id"] == str(tutor.pk)

    def test_people_who_share_nothing_are_refused(self, client_for):
        student, instructor = UserFactory(), InstructorFactory()
        enrolled_pair(student=student)  # another instructor's course

        response = client_for(student).post(URL, {"participant_id": str(instructor.pk)})

        assert response.status_code == 403
        assert error_codes(response) == ["not_allowed_to_message"]

    def test_two_students_are_refused(self, client_for):
        response = client_for(UserFactory()).post(URL, {"participant_id": str(UserFactory().pk)})

        assert response.status_code == 403

    def test_a_revoked_enrollment_is_not_shared(self, client_for):
        student, instructor = UserFactory(), InstructorFactory()
        EnrollmentFactory(
            student=student,
            course=PublishedCourseFactory(instructor=instructor),
            status=EnrollmentStatus.REVOKED,
        )

        response = client_for(student).post(URL, {"participant_id": str(instructor.pk)})

        assert response.status_code == 403

    def test_an_unknown_person_reads_as_refused(self, client_for, student):
        response = client_for(student).post(
            URL, {"participant_id": "00000000-0000-0000-0000-000000000000"}
        )

        assert response.status_code == 403
        assert error_codes(response) == ["not_allowed_to_message"]

    def test_yourself_is_400(self, client_for, student):
        response = client_for(student).post(URL, {"participant_id": str(student.pk)})

        assert response.status_code == 400
        assert error_codes(response) == ["cannot_message_yourself"]

    @pytest.mark.parametrize("body", [{}, {"participant_id": "nope"}, {"participant_id": ["x"]}])
    def test_bad_input_is_400(self, client_for, student, body):
        response = client_for(student).post(URL, body, format="json")

        assert response.status_code == 400
        assert response.json()["type"] == "validation_error"

    def test_anonymous_is_401(self, anon_client):
        assert anon_client.post(URL, {"participant_id": str(UserFactory().pk)}).status_code == 401
        assert anon_client.get(URL).status_code == 401


class TestConversationList:
    def test_lists_only_mine_latest_first_with_unread_counts(self, client_for):
        student, instructor = enrolled_pair()
        _, other_instructor = enrolled_pair(student=student)
        older = started(student, instructor)
        newer = started(student, other_instructor)
        services.send_message(conversation=older, sender=instructor, body="first")
        services.send_message(conversation=older, sender=instructor, body="second")
        services.send_message(conversation=newer, sender=student, body="mine")
        ConversationFactory()  # someone else's

        response = client_for(student).get(URL)

        assert response.status_code == 200
        results = response.json()["results"]
        assert [row["id"] for row in results] == [str(newer.pk), str(older.pk)]
        assert [row["unread_count"] for row in results] == [0, 2]
        assert results[1]["last_message"]["body"] == "second"
        assert results[1]["last_message"]["sender"] == str(instructor.pk)

    @pytest.mark.parametrize("count", [3, 12])
    def test_a_constant_number_of_queries(self, client_for, django_assert_max_num_queries, count):
        student = UserFactory()
        for _ in range(count):
            _, instructor = enrolled_pair(student=student)
            conversation = started(student, instructor)
            MessageFactory(conversation=conversation, sender=instructor)
        client = client_for(student)

        # user (cached after the first request, not counted here), page, count, last messages
        client.get(URL)
        with django_assert_max_num_queries(4):
            response = client.get(URL)

        assert len(response.json()["results"]) == count

    def test_detail_of_someone_elses_is_404(self, client_for, student):
        conversation = ConversationFactory()

        response = client_for(student).get(f"{URL}{conversation.pk}/")

        assert response.status_code == 404

    def test_detail_of_mine(self, client_for):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)

        response = client_for(instructor).get(f"{URL}{conversation.pk}/")

        assert response.status_code == 200
        assert response.json()["id"] == str(conversation.pk)


class TestMessages:
    def test_a_participant_sends_and_the_other_is_notified(self, client_for):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)

        response = client_for(student).post(messages_url(conversation), {"body": "Hello!"})

        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["body"] == "Hello!"
        assert body["sender"] == str(student.pk)
        assert body["conversation"] == str(conversation.pk)
        assert body["read_at"] is None
        notification = Notification.objects.get(user=instructor)
        assert notification.category == Category.MESSAGES
        assert notification.data == {
            "conversation_id": str(conversation.pk),
            "message_id": body["id"],
        }
        assert not Notification.objects.filter(user=student).exists()
        conversation.refresh_from_db()
        assert conversation.last_message_at == Message.objects.get().created_at

    def test_a_message_to_a_conversation_you_are_not_in_is_404(self, client_for, student):
        conversation = ConversationFactory()

        response = client_for(student).post(messages_url(conversation), {"body": "hi"})

        assert response.status_code == 404
        assert client_for(student).get(messages_url(conversation)).status_code == 404
        assert not Message.objects.exists()

    @pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}, {"body": "x" * 10_001}])
    def test_bad_bodies_are_400(self, client_for, body):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)

        response = client_for(student).post(messages_url(conversation), body, format="json")

        assert response.status_code == 400
        assert response.json()["type"] == "validation_error"

    def test_ten_thousand_characters_are_fine(self, client_for):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)

        response = client_for(student).post(messages_url(conversation), {"body": "x" * 10_000})

        assert response.status_code == 201

    def test_html_is_kept_as_text_and_answered_as_json(self, client_for):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)
        html = '<script>alert("x")</script><b>bold</b>'

        client_for(student).post(messages_url(conversation), {"body": html})
        response = client_for(instructor).get(messages_url(conversation))

        assert response["Content-Type"].startswith("application/json")
        assert response.json()["results"][0]["body"] == html
        assert Message.objects.get().body == html

    def test_lists_newest_first_with_read_receipts(self, client_for):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)
        services.send_message(conversation=conversation, sender=student, body="one")
        services.send_message(conversation=conversation, sender=student, body="two")
        services.mark_read(conversation=conversation, reader=instructor)
        services.send_message(conversation=conversation, sender=student, body="three")

        results = client_for(student).get(messages_url(conversation)).json()["results"]

        assert [row["body"] for row in results] == ["three", "two", "one"]
        assert results[0]["read_at"] is None
        assert results[1]["read_at"] is not None

    @pytest.mark.parametrize("count", [3, 25])
    def test_messages_in_a_constant_number_of_queries(
        self, client_for, django_assert_max_num_queries, count
    ):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)
        MessageFactory.create_batch(count, conversation=conversation, sender=student)
        client = client_for(instructor)
        client.get(messages_url(conversation))

        # the conversation (access), the page, the count
        with django_assert_max_num_queries(4):
            response = client.get(messages_url(conversation))

        assert response.json()["count"] == count

    def test_anonymous_is_401(self, anon_client):
        conversation = ConversationFactory()

        assert anon_client.get(messages_url(conversation)).status_code == 401
        assert anon_client.post(messages_url(conversation), {"body": "x"}).status_code == 401


class TestRead:
    def test_reading_clears_the_unread_count_and_shows_the_sender_a_receipt(self, client_for):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)
        for body in ("a", "b"):
            services.send_message(conversation=conversation, sender=student, body=body)
        services.send_message(conversation=conversation, sender=instructor, body="mine")
        client = client_for(instructor)
        assert client.get(f"{URL}unread-count/").json() == {"count": 2}

        response = client.post(f"{URL}{conversation.pk}/read/")

        assert response.status_code == 200
        assert len(response.json()["messages"]) == 2
        assert response.json()["reader"] == str(instructor.pk)
        assert client.get(URL).json()["results"][0]["unread_count"] == 0
        assert client.get(f"{URL}unread-count/").json() == {"count": 0}
        # the student's own unread count: the instructor's one message
        assert client_for(student).get(f"{URL}unread-count/").json() == {"count": 1}
        sent = client_for(student).get(messages_url(conversation)).json()["results"]
        assert [row["read_at"] is not None for row in sent] == [False, True, True]

    def test_reading_twice_records_one_receipt_each(self, client_for):
        student, instructor = enrolled_pair()
        conversation = started(student, instructor)
        services.send_message(conversation=conversation, sender=student, body="a")
        client = client_for(instructor)

        client.post(f"{URL}{conversation.pk}/read/")
        second = client.post(f"{URL}{conversation.pk}/read/")

        assert second.json()["messages"] == []
        assert MessageRead.objects.count() == 1

    def test_someone_elses_conversation_is_404(self, client_for, student):
        conversation = ConversationFactory()

        assert client_for(student).post(f"{URL}{conversation.pk}/read/").status_code == 404


def test_a_long_running_conversation_keeps_last_message_at(client_for):
    student, instructor = enrolled_pair()
    conversation = started(student, instructor)
    before = timezone.now()

    services.send_message(conversation=conversation, sender=instructor, body="later")

    conversation.refresh_from_db()
    assert conversation.last_message_at >= before
