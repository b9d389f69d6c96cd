"""The ticket's status table (lms.audit.transitions.StateMachine):

    open         -> in_progress, resolved, closed
    in_progress  -> resolved, closed
    resolved     -> open (reopen), closed
    closed       -> (final)

Who may move: staff (admins, managers) any allowed move; the owner only reopens a resolved
ticket or closes their ticket (`OWNER_MOVES`). A move the table refuses is 409
`invalid_ticket_state`; a move the owner may not make is 403 `staff_only`.
"""

from __future__ import annotations

from lms.audit.actions import AuditAction
from lms.audit.transitions import StateMachine
from lms.support.errors import SupportError
from lms.support.models import TicketStatus

OPEN, IN_PROGRESS, RESOLVED, CLOSED = (
    TicketStatus.OPEN,
    TicketStatus.IN_PROGRESS,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
)

TICKET_STATES = StateMachine(
    name="ticket",
    moves={
        OPEN: (IN_PROGRESS, RESOLVED, CLOSED),
        IN_PROGRESS: (RESOLVED, CLOSED),
        RESOLVED: (OPEN, CLOSED),
        CLOSED: (),
    },
    actions={
        OPEN: AuditAction.SUPPORT_TICKET_REOPENED,
        IN_PROGRESS: AuditAction.SUPPORT_TICKET_IN_PROGRESS,
        RESOLVED: AuditAction.SUPPORT_TICKET_RESOLVED,
        CLOSED: AuditAction.SUPPORT_TICKET_CLOSED,
    },
    conflict_code=SupportError.INVALID_TICKET_STATE,
)

# The statuses an owner may move their own ticket to (from where the table allows).
OWNER_MOVES = frozenset({OPEN, CLOSED})
