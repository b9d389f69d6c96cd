"""Every write of commerce, one module per section; this package's names are its API.

- `cart`: the cart and the wishlist;
- `coupons`, `revenue_shares`: what instructors and admins set up;
- `orders`: the cart (or one item of any sellable kind) turned into a pending order;
- `checkout`: the order's one payment, claimed, asked of the provider outside any lock,
  completed;
- `events`: the provider-event inbox and reconciliation;
- `fulfilment`: what a provider's success, failure, refund or dispute does;
- `refunds`: refunds asked for by buyers and staff;
- `states`: the order's state machine and what the modules share.

Money rules: prices are snapshotted into order items when the order is placed; a payment is
fulfilled once, under the order's row lock, and only when the provider's amount and currency
are exactly the order's; redemptions of a coupon are counted at payment under the coupon's
lock. Side effects (receipt email, notification delivery) run after commit. Lock order:
`lms/commerce/locks.py`.
"""

from .cart import (
    add_to_cart,
    add_to_wishlist,
    apply_coupon,
    clear_cart,
    remove_cart_item,
    remove_coupon,
    remove_from_wishlist,
)
from .checkout import checkout_order
from .coupons import create_coupon, deactivate_coupon
from .events import (
    process_provider_event,
    reconcile_pending_payments,
    record_provider_event,
    simulate_payment,
)
from .fulfilment import (
    apply_dispute,
    apply_payment_failed,
    apply_payment_succeeded,
    apply_provider_refund,
)
from .orders import place_item_order, place_order
from .refunds import execute_refund, request_refund, retry_pending_refunds
from .revenue_shares import set_revenue_shares
from .states import FREE_PROVIDER, FULFILLED, ORDER_STATES, ORDER_TRANSITIONS

__all__ = [
    "FREE_PROVIDER",
    "FULFILLED",
    "ORDER_STATES",
    "ORDER_TRANSITIONS",
    "add_to_cart",
    "add_to_wishlist",
    "apply_coupon",
    "apply_dispute",
    "apply_payment_failed",
    "apply_payment_succeeded",
    "apply_provider_refund",
    "checkout_order",
    "clear_cart",
    "create_coupon",
    "deactivate_coupon",
    "execute_refund",
    "place_item_order",
    "place_order",
    "process_provider_event",
    "reconcile_pending_payments",
    "record_provider_event",
    "remove_cart_item",
    "remove_coupon",
    "remove_from_wishlist",
    "request_refund",
    "retry_pending_refunds",
    "set_revenue_shares",
    "simulate_payment",
]
