"""Messaging's and support's exporters and erasers (lms.accounts.personal_data)."""

from __future__ import annotations

import pytest

from lms.accounts import personal_data
from lms.accounts.tests.factories import ManagerFactory
from lms.messaging import personal_data as messaging_data
from lms.messaging import services
from lms.messaging.models import Message
from lms.messaging.tests.factories import enrolled_pair
from lms.notifications.models import Notification
from lms.support import personal_data as support_data
from lms.support import services as support_services
from lms.support.models import Ticket, TicketMessage
from lms.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_both_are_registered():
    assert personal_data.exporters.get("messaging") is messaging_data.export
    assert personal_data.erasers.get("support") is support_data.erase


def test_messaging_exports_the_users_conversations_and_erases_their_words():
    student, instructor = enrolled_pair()
    conversation, _ = services.start_conversation(user=student, participant_id=instructor.pk)
    services.send_message(conversation=conversation, sender=student, body="mine")
    services.send_message(conversation=conversation, sender=instructor, body="theirs")

    [document] = list(messaging_data.export(student))

    assert document.path == "messaging/conversations.json"
    [exported] = document.data
    assert [(m["body"], m["mine"]) for m in exported["messages"]] == [
        ("mine", True),
        ("theirs", False),
    ]

    messaging_data.erase(student)
    messaging_data.erase(student)  # idempotent

    assert sorted(Message.objects.values_list("body", flat=True)) == ["[deleted]", "theirs"]
    # the instructor's notification no longer names the student or quotes them
    told = Notification.objects.get(user=instructor)
    assert (told.title, told.body) == ("New message", "")
    assert student.first_name not in told.title


def test_support_exports_tickets_with_threads_and_erases_their_text():
    assignee = ManagerFactory()
    ticket = TicketFactory(subject="My card number is ...", assignee=assignee)
    support_services.add_message(ticket=ticket, author=ticket.owner, body="details")
    assert Notification.objects.get(user=assignee).body == "details"

    [document] = list(support_data.export(ticket.owner))

    assert document.data[0]["subject"] == "My card number is ..."
    assert document.data[0]["messages"][0]["body"] == "details"
    assert "ticket_id" not in document.data[0]["messages"][0]

    support_data.erase(ticket.owner)
    support_data.erase(ticket.owner)

    assert Ticket.objects.get().subject == "[deleted]"
    assert TicketMessage.objects.get().body == "[deleted]"
    assert Notification.objects.get(user=assignee).body == ""
