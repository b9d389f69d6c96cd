"""Tickets in the Django admin: changes go through the service (audit, notification, table)."""

from __future__ import annotations

import pytest
from django.test import Client

from lms.accounts.tests.factories import AdminFactory, ManagerFactory
from lms.audit.models import AuditLog
from lms.notifications.models import Notification
from lms.support.models import Ticket
from lms.support.tests.factories import TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web():
    client = Client()
    client.force_login(AdminFactory())
    return client


def test_the_queue_and_a_ticket_open(admin_web):
    ticket = TicketFactory()
    TicketMessageFactory(ticket=ticket)

    assert admin_web.get("/admin/support/ticket/?status__exact=open").status_code == 200
    assert admin_web.get(f"/admin/support/ticket/{ticket.pk}/change/").status_code == 200


def test_actions_move_tickets_through_the_service(admin_web):
    ticket = TicketFactory()

    response = admin_web.post(
        "/admin/support/ticket/",
        {"action": "mark_resolved", "_selected_action": [str(ticket.pk)]},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert AuditLog.objects.filter(action="support.ticket_resolved").exists()
    assert Notification.objects.filter(user=ticket.owner).exists()


def test_a_refused_move_is_reported_not_applied(admin_web):
    ticket = TicketFactory(status="closed", closed_at="2026-01-01T00:00Z")

    admin_web.post(
        "/admin/support/ticket/",
        {"action": "mark_in_progress", "_selected_action": [str(ticket.pk)]},
    )

    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_the_change_form_saves_through_the_service(admin_web):
    ticket = TicketFactory()
    assignee = ManagerFactory()

    response = admin_web.post(
        f"/admin/support/ticket/{ticket.pk}/change/",
        {
            "status": "in_progress",
            "assignee": str(assignee.pk),
            "priority": "urgent",
            "category": "billing",
            "messages-TOTAL_FORMS": "0",
            "messages-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content[:500]
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.assignee_id, ticket.priority) == (
        "in_progress",
        assignee.pk,
        "urgent",
    )
    assert AuditLog.objects.filter(action="support.ticket_assigned").exists()
