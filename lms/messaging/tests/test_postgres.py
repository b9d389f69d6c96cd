"""Races of messaging that only PostgreSQL shows (row locks, unique constraints under
concurrent inserts), with threads released together."""

from __future__ import annotations

import pytest
from django.db import connection

from lms.messaging import services
from lms.messaging.models import Conversation, Message, MessageRead
from lms.messaging.tests.factories import enrolled_pair
from lms.payouts.tests.test_postgres import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_from_both_sides_make_one_conversation():
    # given: a student and their instructor, who have no conversation yet
    student, instructor = enrolled_pair()
    callers = [(student, instructor), (instructor, student)] * 3

    # when: six starts at the same instant, from either side
    outcomes = run_at_once(
        len(callers),
        lambda index: services.start_conversation(
            user=callers[index][0], participant_id=callers[index][1].pk
        ),
    )

    # then: one row, every caller got it, exactly one of them created it
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert Conversation.objects.count() == 1
    conversation = Conversation.objects.get()
    assert {result[0].pk for _, result in outcomes} == {conversation.pk}
    assert sum(result[1] for _, result in outcomes) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_messages_queue_on_the_conversation():
    student, instructor = enrolled_pair()
    conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    senders = [student, instructor] * 4

    outcomes = run_at_once(
        len(senders),
        lambda index: services.send_message(
            conversation=conversation, sender=senders[index], body=f"message {index}"
        ),
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert Message.objects.count() == len(senders)
    conversation.refresh_from_db()
    newest = Message.objects.order_by("-created_at").first()
    assert conversation.last_message_at == newest.created_at


@pytest.mark.django_db(transaction=True)
def test_concurrent_reads_record_one_receipt_per_message():
    student, instructor = enrolled_pair()
    conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    for index in range(5):
        services.send_message(conversation=conversation, sender=student, body=f"m{index}")

    outcomes = run_at_once(
        4, lambda _: services.mark_read(conversation=conversation, reader=instructor)
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert MessageRead.objects.count() == 5
    assert MessageRead.objects.filter(reader=instructor).values("message").distinct().count() == 5
