"""The order's state machine and what the other modules of the package share."""

from __future__ import annotations

import logging
from typing import Any

from lms.audit.actions import AuditAction
from lms.audit.transitions import StateMachine
from lms.core.requests import AnyRequest

from .. import locks
from ..errors import CommerceError
from ..models import (
    Order,
    OrderStatus,
    Payment,
)

logger = logging.getLogger(__name__)


FREE_PROVIDER = "free"  # a zero total: fulfilled at checkout, no provider involved

# The state machine of an order: which statuses may follow which.
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (
        OrderStatus.PAID,
        OrderStatus.FAILED,
        OrderStatus.CANCELLED,
        OrderStatus.REFUNDED,
    ),
    # A late success (the buyer retried the card) still pays a failed or cancelled order:
    # money received is honoured, never ignored.
    OrderStatus.FAILED: (OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUNDED),
    OrderStatus.CANCELLED: (OrderStatus.PAID, OrderStatus.REFUNDED),
    OrderStatus.PAID: (OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED),
    OrderStatus.PARTIALLY_REFUNDED: (OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED),
    OrderStatus.REFUNDED: (),
}
FULFILLED = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
ORDER_STATES = StateMachine(
    name="order",
    moves=ORDER_TRANSITIONS,
    actions={
        OrderStatus.PAID: AuditAction.ORDER_PAID,
        OrderStatus.FAILED: AuditAction.ORDER_FAILED,
        OrderStatus.CANCELLED: AuditAction.ORDER_CANCELLED,
        OrderStatus.PARTIALLY_REFUNDED: AuditAction.ORDER_PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED: AuditAction.ORDER_REFUNDED,
    },
    conflict_code=CommerceError.INVALID_ORDER_STATE,
)


def transition_order(
    order: Order,
    to: str,
    *,
    actor: Any = None,
    request: AnyRequest = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move a locked order to `to` (409 when not allowed) and write the audit line."""
    ORDER_STATES.apply(
        order, to, actor=actor, request=request, data={"number": order.number, **(data or {})}
    )


def lock_order_and_payment(payment_id: Any) -> tuple[Order, Payment]:
    """Lock a payment's order, then the payment (the documented order), with the buyer loaded."""
    order = locks.lock_order_of_payment(payment_id)
    return order, locks.lock_payment(payment_id)
