"""The messaging and support demo seeders: what `make run` shows, and idempotent."""

from __future__ import annotations

import io

import pytest

from lms.accounts.tests.factories import InstructorFactory, ManagerFactory, UserFactory
from lms.messaging import demo as messaging_demo
from lms.messaging.models import Conversation, Message, MessageRead
from lms.messaging.tests.factories import enrolled_pair
from lms.support import demo as support_demo
from lms.support.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db


def test_a_conversation_and_a_ticket_once_however_often_seeded():
    sam = UserFactory(email="student@demo.learnflow.local")
    grace = InstructorFactory(email="grace@demo.learnflow.local")
    enrolled_pair(student=sam, instructor=grace)
    UserFactory(email="lee@demo.learnflow.local")
    ManagerFactory(email="manager@demo.learnflow.local")

    for _ in range(2):
        messaging_demo.seed(io.StringIO())
        support_demo.seed(io.StringIO())

    conversation = Conversation.objects.get()
    assert (conversation.student, conversation.instructor) == (sam, grace)
    assert Message.objects.count() == 3
    assert MessageRead.objects.filter(reader=sam).count() == 1  # Grace's answer
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.assignee.email) == ("in_progress", "manager@demo.learnflow.local")
    assert TicketMessage.objects.filter(ticket=ticket).count() == 2


def test_without_the_demo_people_it_skips():
    out = io.StringIO()

    messaging_demo.seed(out)
    support_demo.seed(out)

    assert "skipped" in out.getvalue()
    assert not Conversation.objects.exists()
    assert not Ticket.objects.exists()
