"""Races of support that only PostgreSQL shows: status moves and messages of one ticket
queue on its row lock (lms/support/locks.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from lms.accounts.tests.factories import ManagerFactory
from lms.audit.models import AuditLog
from lms.core.errors import Conflict
from lms.payouts.tests.test_postgres import run_at_once
from lms.support import services
from lms.support.models import Ticket, TicketMessage
from lms.support.tests.factories import TicketFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_two_staff_moving_one_ticket_at_once_make_one_move():
    # given: an open ticket and two managers
    ticket = TicketFactory()
    staff = [ManagerFactory(), ManagerFactory()]

    # when: both take it in progress at the same instant
    outcomes = run_at_once(
        2,
        lambda index: services.update_ticket(
            ticket=ticket, by=staff[index], by_staff=True, status="in_progress"
        ),
    )

    # then: one move, one 409, one audit line
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(result for kind, result in outcomes if kind == "error")
    assert isinstance(error, Conflict)
    assert error.code == "invalid_ticket_state"
    assert AuditLog.objects.filter(action="support.ticket_in_progress").count() == 1


def close_and_reply_at_once() -> None:
    ticket = TicketFactory()
    manager = ManagerFactory()
    work = [
        lambda: services.update_ticket(ticket=ticket, by=manager, by_staff=True, status="closed"),
        lambda: services.add_message(ticket=ticket, author=ticket.owner, body="one more"),
    ]

    outcomes = run_at_once(2, lambda index: work[index]())

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == "closed"
    message = TicketMessage.objects.filter(ticket=ticket).first()
    if message is None:  # the close went first: the message was refused
        assert isinstance(outcomes[1][1], Conflict)
    else:
        assert message.created_at <= ticket.closed_at


@pytest.mark.django_db(transaction=True)
def test_a_message_never_lands_on_a_ticket_closed_meanwhile():
    for _ in range(3):
        close_and_reply_at_once()
