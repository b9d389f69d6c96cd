"""Messaging tried from outside, as a newcomer and as an attacker, through HTTP only: a third
user, people who share nothing, mass assignment and hostile input."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from lms.accounts.tests.factories import InstructorFactory, UserFactory
from lms.catalog.tests.factories import PublishedCourseFactory
from lms.conftest import error_codes
from lms.learning.models import EnrollmentStatus
from lms.learning.tests.factories import EnrollmentFactory
from lms.messaging import services
from lms.messaging.models import Conversation, Message, MessageRead
from lms.messaging.tests.factories import enrolled_pair

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversations/"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def assert_error_shape(response, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    body = response.json()
    assert "type" in body, body
    assert "errors" in body, body


@pytest.fixture
def pair():
    return enrolled_pair()


@pytest.fixture
def conversation(pair):
    student, instructor = pair
    conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    services.send_message(conversation=conversation, sender=instructor, body="hello")
    return conversation


# --- a third user ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "{}/", None),
        ("get", "{}/messages/", None),
        ("post", "{}/messages/", {"body": "let me in"}),
        ("post", "{}/read/", None),
    ],
)
@pytest.mark.parametrize("who", ["student", "instructor", "manager", "admin"])
def test_a_third_user_gets_404_everywhere(client_for, conversation, method, path, body, who):
    from lms.accounts.tests.factories import AdminFactory, ManagerFactory

    third = {
        "student": UserFactory,
        "instructor": InstructorFactory,
        "manager": ManagerFactory,
        "admin": AdminFactory,
    }[who]()

    response = getattr(client_for(third), method)(
        URL + path.format(conversation.pk), body, format="json"
    )

    assert_error_shape(response, 404)
    assert Message.objects.count() == 1
    assert not MessageRead.objects.exists()


def test_a_third_user_sees_nothing_in_lists_and_counts(client_for, conversation):
    third = client_for(UserFactory())

    assert third.get(URL).json()["count"] == 0
    assert third.get(f"{URL}unread-count/").json() == {"count": 0}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("post", "", {"participant_id": UNKNOWN}),
        ("get", "unread-count/", None),
        ("get", "{}/", None),
        ("get", "{}/messages/", None),
        ("post", "{}/messages/", {"body": "hi"}),
        ("post", "{}/read/", None),
    ],
)
def test_anonymous_is_401(anon_client, conversation, method, path, body):
    response = getattr(anon_client, method)(URL + path.format(conversation.pk), body, format="json")

    assert_error_shape(response, 401)


# --- who may talk ------------------------------------------------------------------------------


def test_two_students_of_one_course_cannot_talk(client_for):
    course = PublishedCourseFactory()
    one, two = UserFactory(), UserFactory()
    EnrollmentFactory(student=one, course=course)
    EnrollmentFactory(student=two, course=course)

    response = client_for(one).post(URL, {"participant_id": str(two.pk)}, format="json")

    assert_error_shape(response, 403)
    assert error_codes(response) == ["not_allowed_to_message"]
    assert not Conversation.objects.exists()


def test_two_instructors_cannot_talk(client_for):
    one, two = InstructorFactory(), InstructorFactory()

    response = client_for(one).post(URL, {"participant_id": str(two.pk)}, format="json")

    assert_error_shape(response, 403)


def test_a_student_cannot_message_an_instructor_whose_course_they_left(client_for):
    student, instructor = UserFactory(), InstructorFactory()
    EnrollmentFactory(
        student=student,
        course=PublishedCourseFactory(instructor=instructor),
        status=EnrollmentStatus.REVOKED,
    )

    response = client_for(student).post(URL, {"participant_id": str(instructor.pk)}, format="json")

    assert_error_shape(response, 403)


def test_an_unpaid_booking_does_not_open_a_conversation(client_for):
    from lms.tutoring.models import Booking
    from lms.tutoring.tests.factories import TutorFactory

    student, tutor = UserFactory(), TutorFactory()
    start = timezone.now() + timedelta(days=3)
    Booking.objects.create(
        student=student, tutor=tutor, start=start, end=start + timedelta(hours=1),
        blocked_end=start + timedelta(hours=1), duration_minutes=60, status="pending",
        hourly_rate=Decimal("40"), price=Decimal("40"), platform_fee=Decimal("6"),
        tutor_earning=Decimal("34"), currency="USD", refund_cutoff_hours=24,
        expires_at=timezone.now() + timedelta(minutes=15),
    )  # fmt: skip

    response = client_for(student).post(URL, {"participant_id": str(tutor.pk)}, format="json")

    assert_error_shape(response, 403)


def test_yourself_is_400_whatever_the_spelling(client_for, pair):
    student, _ = pair
    client = client_for(student)
    for spelling in (str(student.pk), str(student.pk).upper(), student.pk.hex):
        response = client.post(URL, {"participant_id": spelling}, format="json")
        assert_error_shape(response, 400)
        assert error_codes(response) == ["cannot_message_yourself"]
    assert not Conversation.objects.exists()


def test_a_deactivated_person_cannot_be_messaged(client_for, pair):
    student, instructor = pair
    instructor.is_active = False
    instructor.save(update_fields=["is_active"])

    response = client_for(student).post(URL, {"participant_id": str(instructor.pk)}, format="json")

    assert_error_shape(response, 403)


# --- mass assignment ---------------------------------------------------------------------------


def test_a_start_cannot_choose_the_roles_or_the_people(client_for, pair):
    student, instructor = pair
    victim = UserFactory()

    response = client_for(student).post(
        URL,
        {
            "participant_id": str(instructor.pk),
            "student": str(victim.pk),
            "student_id": str(victim.pk),
            "instructor_id": str(victim.pk),
            "last_message_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    row = Conversation.objects.get()
    assert (row.student_id, row.instructor_id) == (student.pk, instructor.pk)
    assert row.last_message_at.year > 2000


def test_a_message_cannot_choose_its_sender_time_or_conversation(client_for, conversation, pair):
    student, instructor = pair
    elsewhere = enrolled_pair()
    elsewhere_conversation, _ = services.start_conversation(
        user=elsewhere[0], participant_id=elsewhere[1].pk
    )

    response = client_for(student).post(
        f"{URL}{conversation.pk}/messages/",
        {
            "body": "mine",
            "sender": str(instructor.pk),
            "sender_id": str(instructor.pk),
            "conversation": str(elsewhere_conversation.pk),
            "created_at": "2000-01-01T00:00:00Z",
            "read_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.sender_id, message.conversation_id) == (student.pk, conversation.pk)
    assert message.created_at.year > 2000
    assert response.json()["read_at"] is None
    assert not MessageRead.objects.filter(message=message).exists()


def test_reading_cannot_mark_for_someone_else(client_for, conversation, pair):
    student, instructor = pair

    response = client_for(student).post(
        f"{URL}{conversation.pk}/read/", {"reader": str(instructor.pk)}, format="json"
    )

    assert response.status_code == 200
    assert set(MessageRead.objects.values_list("reader_id", flat=True)) == {student.pk}


def test_marking_read_never_marks_your_own_messages(client_for, conversation, pair):
    _, instructor = pair

    response = client_for(instructor).post(f"{URL}{conversation.pk}/read/")

    assert response.json()["messages"] == []
    assert not MessageRead.objects.exists()


# --- hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "participant",
    ["abc", "", None, 12, ["x"], {"id": UNKNOWN}, "x" * 10_001, "\x00", "☃"],
)
def test_hostile_participants_are_4xx(client_for, pair, participant):
    response = client_for(pair[0]).post(URL, {"participant_id": participant}, format="json")

    # a JSON integer is not the documented uuid string (DRF alone would read it as
    # UUID(int=12)): 400 like the rest (lms.core.serializers, strict JSON types)
    assert_error_shape(response, 400)
    assert not Conversation.objects.exists()


def test_an_unknown_participant_is_403_like_a_stranger(client_for, pair):
    response = client_for(pair[0]).post(URL, {"participant_id": UNKNOWN}, format="json")

    assert_error_shape(response, 403)


@pytest.mark.parametrize(
    "body", ["", "   ", "\n\t", "b" * 10_001, "a\x00b", None, ["x"], {"text": "x"}]
)
def test_hostile_message_bodies_are_400(client_for, conversation, pair, body):
    response = client_for(pair[0]).post(
        f"{URL}{conversation.pk}/messages/", {"body": body}, format="json"
    )

    assert_error_shape(response, 400)
    assert Message.objects.count() == 1


def test_a_body_of_exactly_10000_characters_and_unicode_is_kept(client_for, conversation, pair):
    client = client_for(pair[0])
    for body in ("b" * 10_000, "Ünïcødé ☃ 日本語 <script>alert(1)</script>"):
        response = client.post(f"{URL}{conversation.pk}/messages/", {"body": body}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["body"] == body


@pytest.mark.parametrize("bad", ["abc", "1", "x" * 5000, "%00", "%E2%98%83"])
@pytest.mark.parametrize(
    ("method", "template"),
    [("get", "{}/"), ("get", "{}/messages/"), ("post", "{}/messages/"), ("post", "{}/read/")],
)
def test_hostile_path_parameters_are_404(client_for, pair, bad, method, template):
    response = getattr(client_for(pair[0]), method)(
        URL + template.format(bad), {"body": "x"}, format="json"
    )

    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize(
    "query", ["?page=0", "?page=-1", "?page=abc", "?page=99999", "?page_size=100000", "?page=%00"]
)
def test_hostile_pages_are_never_500(client_for, conversation, pair, query):
    client = client_for(pair[0])
    for path in (URL, f"{URL}{conversation.pk}/messages/"):
        response = client.get(path + query)
        assert response.status_code in (200, 400, 404), (path, response.content[:300])


# --- races beyond test_postgres.py -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_reading_while_messages_arrive_leaves_exact_unread_counts():
    from lms.messaging import selectors
    from lms.payouts.tests.test_postgres import run_at_once

    student, instructor = enrolled_pair()
    conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    for index in range(3):
        services.send_message(conversation=conversation, sender=instructor, body=f"m{index}")

    work = [
        lambda: services.mark_read(conversation=conversation, reader=student),
        lambda: services.send_message(conversation=conversation, sender=instructor, body="late"),
        lambda: services.mark_read(conversation=conversation, reader=student),
        lambda: services.send_message(conversation=conversation, sender=instructor, body="later"),
    ]
    outcomes = run_at_once(len(work), lambda index: work[index]())

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    read = MessageRead.objects.filter(reader=student).count()
    assert read == len(set(MessageRead.objects.values_list("message_id", flat=True)))
    assert selectors.unread_total(user_id=student.pk) == 5 - read
    listed = selectors.conversations_of(user_id=student.pk).get()
    assert listed.unread_count == 5 - read
