"""Demo ticket for `manage.py seed_demo`: a student's ticket that the manager took and
answered (in progress), through the same services as the API. Idempotent."""

from __future__ import annotations

from typing import Any

from lms.accounts.models import User
from lms.support import services
from lms.support.models import Ticket, TicketCategory, TicketPriority, TicketStatus

SUBJECT = "The video of lesson 2 stops after a minute"


def seed(stdout: Any) -> None:
    owner = User.objects.filter(email="lee@demo.learnflow.local").first()
    manager = User.objects.filter(email="manager@demo.learnflow.local").first()
    if owner is None or manager is None:
        stdout.write("support: no demo student or manager; skipped")
        return
    if Ticket.objects.filter(owner=owner, subject=SUBJECT).exists():
        return
    ticket = services.open_ticket(
        owner=owner,
        subject=SUBJECT,
        body="It plays for about a minute, then the player shows an error. Firefox on Linux.",
        priority=TicketPriority.HIGH,
        category=TicketCategory.TECHNICAL,
    )
    services.update_ticket(
        ticket=ticket,
        by=manager,
        by_staff=True,
        assignee_id=manager.pk,
        status=TicketStatus.IN_PROGRESS,
    )
    services.add_message(
        ticket=ticket,
        author=manager,
        body="Thanks for the report. Could you try another browser while we look into it?",
    )
    services.add_message(ticket=ticket, author=owner, body="Chrome plays it fine.")
    stdout.write(f"support: a ticket of {owner.email}, in progress with {manager.email}")
