"""The booking's state machine (API.md "Tutoring": booking states) and shared helpers."""

from __future__ import annotations

from typing import Any

from lms.audit.actions import AuditAction
from lms.audit.transitions import StateMachine
from lms.core.requests import AnyRequest

from ..errors import TutoringError
from ..models import Booking, BookingStatus

S = BookingStatus

# Which statuses may follow which. Cancelled → paid is a late payment of an expired booking,
# honoured when its time is still free (commerce honours late payments the same way).
BOOKING_TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PENDING: (S.PAID, S.CANCELLED),
    S.PAID: (S.CONFIRMED, S.COMPLETED, S.CANCELLED, S.REFUNDED),
    S.CONFIRMED: (S.COMPLETED, S.CANCELLED, S.REFUNDED),
    S.COMPLETED: (),
    S.CANCELLED: (S.PAID,),
    S.REFUNDED: (),
}
BOOKING_STATES = StateMachine(
    name="booking",
    moves=BOOKING_TRANSITIONS,
    actions={
        S.PAID: AuditAction.BOOKING_PAID,
        S.CONFIRMED: AuditAction.BOOKING_CONFIRMED,
        S.COMPLETED: AuditAction.BOOKING_COMPLETED,
        S.CANCELLED: AuditAction.BOOKING_CANCELLED,
        S.REFUNDED: AuditAction.BOOKING_REFUNDED,
    },
    conflict_code=TutoringError.INVALID_BOOKING_STATE,
)


def transition_booking(
    booking: Booking,
    to: str,
    *,
    actor: Any = None,
    request: AnyRequest = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move a locked booking to `to` (409 `invalid_booking_state` otherwise) and audit it."""
    BOOKING_STATES.apply(booking, to, actor=actor, request=request, data=data)
