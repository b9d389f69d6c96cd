"""Support's part of a person's export and deletion (lms.accounts.personal_data)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lms.accounts.personal_data import ExportDocument
from lms.notifications.models import Category, Notification
from lms.support.models import Ticket, TicketMessage

ERASED_TEXT = "[deleted]"


def export(user: Any) -> Iterable[ExportDocument]:
    """`support/tickets.json`: the user's tickets with their whole thread, oldest first."""
    tickets = list(
        Ticket.objects.filter(owner=user)
        .order_by("created_at")
        .values("id", "subject", "body", "priority", "category", "status", "created_at")
    )
    thread: dict[Any, list[dict[str, Any]]] = {}
    for row in (
        TicketMessage.objects.filter(ticket__owner=user)
        .order_by("created_at", "id")
        .values("ticket_id", "id", "from_staff", "body", "created_at")
    ):
        message = {key: value for key, value in row.items() if key != "ticket_id"}
        thread.setdefault(row["ticket_id"], []).append(message)
    yield ExportDocument(
        path="support/tickets.json",
        data=[{**ticket, "messages": thread.get(ticket["id"], [])} for ticket in tickets],
    )


def erase(user: Any) -> None:
    """The text of the user's tickets and of every message on them (staff replies quote the
    owner's case), of any message the user wrote elsewhere, and of the staff's notifications
    about their tickets goes; the tickets' status and dates stay for support's figures.
    Idempotent."""
    Ticket.objects.filter(owner=user).exclude(subject=ERASED_TEXT).update(
        subject=ERASED_TEXT, body=ERASED_TEXT
    )
    TicketMessage.objects.filter(ticket__owner=user).exclude(body=ERASED_TEXT).update(
        body=ERASED_TEXT
    )
    TicketMessage.objects.filter(author=user).exclude(body=ERASED_TEXT).update(body=ERASED_TEXT)
    # staff's notifications about the user's tickets quoted their subject and words
    ids = [str(pk) for pk in Ticket.objects.filter(owner=user).values_list("pk", flat=True)]
    Notification.objects.filter(category=Category.SUPPORT, data__ticket_id__in=ids).exclude(
        user=user
    ).update(title="Support ticket update", body="")
