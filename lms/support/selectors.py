"""Reads of support: tickets scoped to who asks (owners their own, staff all; anyone else's
ticket is a 404), the staff queue's filters, and a ticket's messages."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from lms.core.errors import NotFound
from lms.core.permissions import is_staff_member
from lms.support.models import PRIORITY_RANK, Ticket, TicketMessage


def priority_rank() -> Case:
    """0 for urgent to 3 for low (`?ordering=priority`: most urgent first)."""
    return Case(
        *(When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
        output_field=IntegerField(),
    )


def tickets_visible_to(user: Any) -> QuerySet[Ticket]:
    """Staff: every ticket; anyone else: their own. With owner, assignee, `message_count`
    and `priority_rank`, newest first."""
    tickets = Ticket.objects.all() if is_staff_member(user) else Ticket.objects.filter(owner=user)
    return (
        tickets.select_related("owner", "assignee")
        .annotate(message_count=Count("messages"), priority_rank=priority_rank())
        .order_by("-created_at", "-id")
    )


def ticket_for(*, user: Any, ticket_id: Any) -> Ticket:
    """One ticket the user may see (404 otherwise)."""
    ticket = tickets_visible_to(user).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def messages_of(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    """The ticket's messages, oldest first (a support thread reads top down)."""
    return (
        TicketMessage.objects.filter(ticket=ticket)
        .select_related("author")
        .order_by("created_at", "id")
    )
