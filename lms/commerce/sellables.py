"""What commerce sells: a registry of sellable kinds, so that checkout, fulfilment and refunds
work for any of them (courses today, tutoring's bookings next) without importing their apps.

An order item carries a `kind` ("course", "booking") and a `reference_id` (the course's,
the booking's id). The app that owns a kind registers one `SellableKind` at start-up:

    # lms/tutoring/apps.py (above commerce)
    from lms.commerce.sellables import sellable_kinds
    sellable_kinds.register("booking", BookingKind())

Courses are registered by commerce itself (`lms.commerce.course_kind`): learning, which owns
enrollments, sits below commerce in the layers and cannot import it, so commerce's adapter
calls learning's services. Every method takes all the items of its kind in one order at
once, so fulfilment and refunds cost the same number of queries for one item or many.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from lms.core.money import Money
from lms.core.registry import Registry

if TYPE_CHECKING:
    from lms.accounts.models import User

    from .models import Order, OrderItem, Refund


@dataclass(frozen=True, slots=True)
class Offer:
    """One thing for sale, as an order item snapshots it; its price is a `Money` (the order
    is placed in the price's currency)."""

    kind: str
    reference_id: uuid.UUID
    title: str
    seller_id: uuid.UUID  # whose earnings the sale credits first (the owner of the split)
    price: Money

    @property
    def currency(self) -> str:
        return self.price.currency


Splits = list[tuple["User", Decimal]]


class SellableKind(Protocol):
    """One kind of sellable; every method gets all the items of this kind in one order."""

    kind: str

    def offer(self, *, buyer: User, reference_id: uuid.UUID) -> Offer:
        """What `reference_id` sells for to `buyer` now; a domain error when it cannot be
        bought (not found 404, not for sale 400, already owned 409)."""
        ...

    def check_still_for_sale(self, *, order: Order, items: Sequence[OrderItem]) -> None:
        """At checkout: raise a domain error when an item may no longer be sold."""
        ...

    def splits(self, items: Sequence[OrderItem]) -> dict[uuid.UUID, Splits]:
        """Each item's earning split `(person, percent)`, the seller first (item id → split)."""
        ...

    def fulfil(self, *, order: Order, items: Sequence[OrderItem]) -> None:
        """Paid: grant what the items sell (enroll, confirm), in the caller's transaction."""
        ...

    def check_refundable(self, *, order: Order, items: Sequence[OrderItem], by: User) -> None:
        """Raise a domain error when `by` may not have these items refunded now."""
        ...

    def revoke(self, *, order: Order, items: Sequence[OrderItem], refund: Refund) -> None:
        """Refunded: take back what the items granted, in the caller's transaction."""
        ...


sellable_kinds: Registry[SellableKind] = Registry("commerce.sellable_kinds")


def by_kind(items: Iterable[OrderItem]) -> dict[SellableKind, list[OrderItem]]:
    """Items grouped by their registered kind, in their order."""
    groups: dict[str, list[OrderItem]] = defaultdict(list)
    for item in items:
        groups[item.kind].append(item)
    return {sellable_kinds.get(kind): group for kind, group in groups.items()}


def splits_of(items: Sequence[OrderItem]) -> dict[uuid.UUID, Splits]:
    splits: dict[uuid.UUID, Splits] = {}
    for kind, group in by_kind(items).items():
        splits.update(kind.splits(group))
    return splits
