"""Prices of a cart or an order: which lines a coupon covers, the discount of each, totals.

One place for the rule that a coupon never makes anything negative: a percent coupon takes
that share of each covered line; a fixed coupon is capped at the covered subtotal and spread
over the covered lines in proportion to their prices, so every line's amount paid (what the
instructors' earnings are computed from) stays between zero and its price.

One rule for amounts a payment provider cannot charge: each line's amount paid is rounded
down to the decimals the provider takes in that currency (`payable_exponent`; Stripe charges
12.340 KWD, not 12.345, and whole ariary), and what that takes off is part of the line's
discount. The buyer never pays more than the listed price, and every line (so every partial
refund) stays an amount the provider can move. Rounding never makes a line free: a line
that still owes something after its coupon owes at least one payable unit (0.005 KWD left
after a coupon is charged 0.01 KWD, never 0), or its whole price if that is less (a price
set before the provider's rule; checkout then refuses it, `check_chargeable_total`). Only a
zero price or a coupon that covers the whole line makes it free (`owes_nothing`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.utils import timezone

from lms.core.errors import Conflict, Invalid
from lms.core.money import Money, amount_string, minor_unit

from .errors import CommerceError
from .models import Coupon, CouponKind, CouponRedemption, CouponScope


@dataclass(frozen=True, slots=True)
class Line:
    """One thing to price: a course of a cart, or the offer of any sellable kind."""

    reference_id: uuid.UUID  # the course (or booking, ...) the line sells
    seller_id: uuid.UUID  # the instructor or tutor it earns for
    price: Money

    @property
    def currency(self) -> str:
        return self.price.currency


@dataclass(frozen=True, slots=True)
class PricedLine:
    line: Line
    discount: Money

    @property
    def amount_paid(self) -> Money:
        return self.line.price - self.discount


@dataclass(frozen=True, slots=True)
class Priced:
    """Every line with its discount, and the totals, in one currency."""

    currency: str
    lines: list[PricedLine]
    subtotal: Money
    discount: Money

    @property
    def total(self) -> Money:
        return self.subtotal - self.discount


@dataclass(frozen=True, slots=True)
class CouponRules:
    """The parts of a coupon that pricing needs (a plain copy: no queries while pricing)."""

    kind: str
    value: Decimal
    currency: str
    scope: str
    instructor_id: uuid.UUID | None
    course_ids: frozenset[uuid.UUID]

    @classmethod
    def of(cls, coupon: Coupon, course_ids: Sequence[Any] | None = None) -> CouponRules:
        ids = course_ids if course_ids is not None else coupon.courses.values_list("id", flat=True)
        return cls(
            kind=coupon.kind,
            value=coupon.value,
            currency=coupon.currency,
            scope=coupon.scope,
            instructor_id=coupon.instructor_id,
            course_ids=frozenset(ids),
        )

    def covers(self, line: Line) -> bool:
        if self.scope == CouponScope.PLATFORM:
            return True
        if self.scope == CouponScope.INSTRUCTOR:
            return line.seller_id == self.instructor_id
        return line.reference_id in self.course_ids


def price_lines(
    lines: Sequence[Line],
    rules: CouponRules | None,
    currency: str,
    *,
    payable_exponent: int | None = None,
) -> Priced:
    """Subtotal, discount per line and total in `currency` (every line's); raises 400 when
    the coupon cannot apply, 409 `currency_mismatch` when a line is in another currency (a
    cart whose course changed currency). No lines: zeros in `currency`.

    `payable_exponent`: the decimals the payment provider charges in `currency`; each line's
    amount paid is rounded down to it (module docstring). None: no rounding beyond ISO's.
    """
    zero = Money.zero(currency)
    if any(line.currency != currency for line in lines):
        others = sorted({line.currency for line in lines} - {currency})
        raise Conflict(
            f"Your cart mixes currencies ({', '.join([currency, *others])}): "
            "remove the courses of all but one currency.",
            code=CommerceError.CURRENCY_MISMATCH,
        )
    discounts = _coupon_discounts(lines, rules, currency) if rules is not None and lines else {}
    priced = []
    for line in lines:
        discount = Money(discounts.get(line.reference_id, Decimal("0")), currency)
        if payable_exponent is not None:
            paid = (line.price - discount).amount
            step = Decimal(1).scaleb(-payable_exponent)
            payable = paid.quantize(step, ROUND_DOWN)
            if paid > 0 and payable == 0:  # still owed: never free by rounding
                payable = min(step, line.price.amount)
            discount += Money(paid - payable, currency)
        priced.append(PricedLine(line, discount))
    subtotal = sum((line.price for line in lines), zero)
    discount_total = sum((item.discount for item in priced), zero)
    return Priced(currency, priced, subtotal, discount_total)


def owes_nothing(lines: Sequence[Line], rules: CouponRules | None, currency: str) -> bool:
    """Whether `lines` cost nothing before any provider rounding: every price zero, or a
    coupon that covers all that is owed (a 100 % coupon). Checkout's test for the free path:
    an order whose total is zero for any other reason is not given away."""
    if all(line.price.is_zero for line in lines):
        return True
    if rules is None:
        return False
    try:
        return price_lines(lines, rules, currency).total.is_zero
    except Invalid:  # the coupon covers nothing (any more)
        return False


def _coupon_discounts(
    lines: Sequence[Line], rules: CouponRules, currency: str
) -> dict[uuid.UUID, Decimal]:
    """The coupon's discount of each covered line, by reference: amounts of `currency`."""
    covered = [line for line in lines if rules.covers(line)]
    if not covered:
        raise Invalid(
            "This coupon does not apply to anything in your cart.",
            code=CommerceError.COUPON_NOT_APPLICABLE,
        )
    discounts: dict[uuid.UUID, Decimal] = {}
    if rules.kind == CouponKind.PERCENT:
        for line in covered:
            discounts[line.reference_id] = min(line.price, line.price.percent(rules.value)).amount
    else:
        if rules.currency != currency:
            raise Invalid(
                f"This coupon is in {rules.currency}; your cart is in {currency}.",
                code=CommerceError.COUPON_CURRENCY_MISMATCH,
            )
        prices = {line.reference_id: line.price.amount for line in covered}
        covered_total = sum(prices.values(), Decimal("0"))
        amount = min(rules.value, covered_total)
        step = minor_unit(currency)
        left = amount
        for ref, price in prices.items():
            share = (
                (amount * price / covered_total).quantize(step, rounding=ROUND_DOWN)
                if covered_total
                else Decimal("0")
            )
            share = min(share, price)
            discounts[ref] = share
            left -= share
        # What rounding down left over goes to the lines with room, in order.
        for ref, price in prices.items():
            if left <= 0:
                break
            extra = min(price - discounts[ref], left)
            discounts[ref] += extra
            left -= extra
    return discounts


PERCENT = Decimal("0.01")  # a percent coupon's value has two decimals


def coupon_value_string(value: Decimal, currency: str) -> str:
    """The one rendering of a coupon's value (API and audit alike): a fixed coupon's amount
    in its currency (`"5.00"` USD, `"500"` JPY), a percent coupon's percent (`"10.00"`)."""
    return amount_string(value, currency) if currency else str(Decimal(value).quantize(PERCENT))


# --- coupon checks ---------------------------------------------------------------------------


def check_coupon_window(coupon: Coupon, *, now: datetime | None = None) -> None:
    """Switched on and inside its window (checked when applied and when ordering)."""
    now = now or timezone.now()
    if not coupon.is_active:
        raise Invalid("This coupon code is not valid.", code=CommerceError.COUPON_INVALID)
    if coupon.starts_at and now < coupon.starts_at:
        raise Invalid("This coupon is not valid yet.", code=CommerceError.COUPON_NOT_STARTED)
    if coupon.ends_at and now >= coupon.ends_at:
        raise Invalid("This coupon has expired.", code=CommerceError.COUPON_EXPIRED)


def coupon_exhausted_for(coupon: Coupon, *, user: Any) -> bool:
    """Whether the total or the user's limit is reached (redemptions counted at payment)."""
    if coupon.max_redemptions is not None and coupon.redemption_count >= coupon.max_redemptions:
        return True
    if coupon.per_user_limit is not None:
        used = CouponRedemption.objects.filter(coupon=coupon, user_id=user.pk).count()
        if used >= coupon.per_user_limit:
            return True
    return False


def check_coupon_usable(coupon: Coupon, *, user: Any) -> None:
    check_coupon_window(coupon)
    if coupon_exhausted_for(coupon, user=user):
        raise Invalid("This coupon has been used up.", code=CommerceError.COUPON_EXHAUSTED)
