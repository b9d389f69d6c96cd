"""Row locks of support, and the one order in which they are taken.

Lock order (every support service follows it):

1. The ticket row (`select_for_update`), for every change of a ticket and for every
   message added to it: status moves, assignment and messages of one ticket queue on it, so
   two staff members moving one ticket at once make one move and a 409, and a message never
   lands on a ticket closed meanwhile.

Nothing else is locked. Notifications insert rows only; their delivery (which locks the
recipient's user row, lms.notifications.services) runs after commit.
"""

from __future__ import annotations

from typing import Any

from lms.core.errors import NotFound
from lms.support.models import Ticket


def lock_ticket(ticket_id: Any) -> Ticket:
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:  # deleted meanwhile (the admin)
        raise NotFound("No such ticket.")
    return ticket
