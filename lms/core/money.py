"""Money: the platform's one currency policy and the `Money` value.

The rules, each in one place:

- **Which currencies.** The platform sells in `settings.SUPPORTED_CURRENCIES` (ISO 4217 codes;
  the default mixes two-, zero- and three-decimal currencies). Any other code is refused at
  the edge with 400 `unsupported_currency`: at course creation, never after a payment.
  The setting is a selling rule (a price, a cart, an order, a checkout), not a rule of the
  books: money already taken in a currency dropped from it since is still credited,
  refunded and withdrawn (`parse_amount(..., sold=False)`: any ISO currency the columns hold).
- **Minor units.** A currency's exponent is ISO 4217's, as py-moneyed publishes it (its
  `sub_unit`), not a table kept here: 2 for USD, 0 for JPY and ISK, 3 for KWD.
- **Columns.** Every stored amount is a `MoneyAmountField` (15 digits, 3 decimals), wide enough
  for every supported currency; the `money` system check refuses a setting that is not.
- **Input.** `parse_amount` refuses more decimals than the currency has (1500.50 JPY is 400
  `invalid_amount`, never a silent 1501); nothing is rounded on the way in.
- **Across function boundaries** an amount is a `Money` (amount and currency together,
  exact at the currency's minor unit): pricing, orders, payments, refunds, the ledger and
  payouts take and return it. `Money(...)` never rounds, `Money.exact` also refuses an
  unsupported currency, `Money.rounded` rounds a computed amount by a rounding named at the
  call; `MoneyColumn` is the model boundary (a Decimal column + its currency column).
- **Output.** `amount_string` is the one rendering of an amount in a response: `"49.99"`,
  `"1500"`, `"12.345"`; `format_money` the one for people (`"1500 JPY"`).
- **Providers.** Integer units exist only at a provider's edge, with that provider's own table
  (Stripe's differ from ISO's: `lms.core.stripe_client.to_stripe_amount`). `to_minor_units`
  below is ISO's, which the fake provider uses as its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any, overload

import moneyed
from django.conf import settings

from lms.core.errors import Invalid

# The columns every amount is stored in (see MoneyAmountField in lms.core.models).
MONEY_MAX_DIGITS = 15
MONEY_DECIMAL_PLACES = 3
# No single amount (a price, a coupon, a withdrawal) may reach this, in any currency.
MAX_AMOUNT = Decimal("1000000000")

DEFAULT_CURRENCY = "USD"


class MoneyError(StrEnum):
    """The codes of money input errors (400)."""

    INVALID_AMOUNT = "invalid_amount"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
    # A checkout whose total the payment provider cannot charge (below its minimum charge,
    # or below one of its units): 400, before the provider is asked (`check_chargeable_total`).
    BELOW_MINIMUM_CHARGE = "below_minimum_charge"


@cache
def iso_exponent(currency: str) -> int | None:
    """ISO 4217's minor-unit exponent of `currency` (py-moneyed's data), None if unknown."""
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        return None
    try:
        sub_unit = moneyed.get_currency(currency).sub_unit
    except moneyed.CurrencyDoesNotExist:
        return None
    exponent = Decimal(sub_unit).log10()
    return int(exponent) if exponent == exponent.to_integral_value() else None


def supported_currencies() -> tuple[str, ...]:
    """The ISO codes the platform sells in, from `settings.SUPPORTED_CURRENCIES`."""
    return tuple(settings.SUPPORTED_CURRENCIES)


def currency_choices() -> list[tuple[str, str]]:
    """Supported currencies as form choices (a callable, so that the setting is read late)."""
    return [(code, code) for code in supported_currencies()]


def is_supported_currency(code: str) -> bool:
    return code in supported_currencies()


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency with a decimal minor unit (supported or not)."""
    return iso_exponent(code) is not None


def minor_unit_exponent(currency: str) -> int:
    """ISO 4217's exponent; ValueError for anything that is not a currency."""
    exponent = iso_exponent(currency)
    if exponent is None:
        raise ValueError(f"Not an ISO 4217 currency: {currency!r}")
    return exponent


@cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal('0.01'), Decimal('1'), Decimal('0.001')."""
    return Decimal(1).scaleb(-minor_unit_exponent(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round a computed amount (a fee, a share) to the currency's minor unit, half up."""
    return Decimal(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def round_down(amount: Decimal, currency: str) -> Decimal:
    """Round down to the minor unit (shares that must never sum to more than their whole)."""
    return Decimal(amount).quantize(minor_unit(currency), rounding=ROUND_DOWN)


def check_currency(code: Any) -> str:
    """The code when the platform sells in it; 400 `unsupported_currency` otherwise."""
    if not isinstance(code, str) or not is_supported_currency(code):
        raise Invalid(
            f"{str(code)[:8]!r} is not a currency this platform sells in.",
            code=MoneyError.UNSUPPORTED_CURRENCY,
        )
    return code


def check_book_currency(code: Any) -> str:
    """The code when it is an ISO 4217 currency whose minor unit the money columns hold: what
    the books take (a sale paid before its currency left SUPPORTED_CURRENCIES, a withdrawal
    from an existing wallet); 400 `unsupported_currency` otherwise."""
    if not isinstance(code, str) or unfit_supported_currencies([code]):
        raise Invalid(
            f"{str(code)[:8]!r} is not a currency the platform keeps accounts in.",
            code=MoneyError.UNSUPPORTED_CURRENCY,
        )
    return code


def parse_currency(value: Any, *, sold: bool = True) -> str:
    """A currency code as people send it, in a body, a query or a filter: ASCII letters in any
    case (`usd` is USD) of a currency the platform sells in; 400 `unsupported_currency`
    otherwise. ASCII is checked before upper-casing, since `"\u0131ls".upper()` (a Turkish dotless
    i) is `"ILS"`. The one reading of currency input (`CurrencyInputField` and
    `currency_query_param` in lms.core.serializers call it). `sold=False`: any currency the
    books take (`check_book_currency`), for reading the books (a wallet's lines, withdrawals)
    in a currency dropped from the setting since."""
    if not isinstance(value, str) or not value.isascii():
        raise Invalid(
            f"{str(value)[:8]!r} is not a currency this platform sells in.",
            code=MoneyError.UNSUPPORTED_CURRENCY,
        )
    code = value.upper()
    return check_currency(code) if sold else check_book_currency(code)


def parse_amount(
    value: Any,
    currency: str,
    *,
    allow_zero: bool = True,
    chargeable: bool = False,
    sold: bool = True,
) -> Money:
    """An exact `Money` from input, or 400 `invalid_amount`.

    Refuses what is not a finite number, negatives (and zero unless `allow_zero`), amounts of
    `MAX_AMOUNT` or more, and more decimals than the currency has; never rounds. The currency
    must be supported (400 `unsupported_currency`); with `sold=False` (the books: a sale already
    paid, a withdrawal from an existing wallet) any currency `check_book_currency` takes, so
    that dropping a currency from the setting strands no money. `chargeable` (a price: a
    course's, an hourly rate) also refuses a non-zero amount below the configured payment
    provider's smallest unit (`check_price_chargeable`).
    """
    if sold:
        check_currency(currency)
    else:
        check_book_currency(currency)
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise Invalid("The amount is not a number.", code=MoneyError.INVALID_AMOUNT) from None
    if not amount.is_finite():
        raise Invalid("The amount is not a number.", code=MoneyError.INVALID_AMOUNT)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise Invalid("The amount must be positive.", code=MoneyError.INVALID_AMOUNT)
    if amount >= MAX_AMOUNT:
        raise Invalid("The amount is too large.", code=MoneyError.INVALID_AMOUNT)
    exponent = minor_unit_exponent(currency)
    if amount != amount.quantize(minor_unit(currency), rounding=ROUND_DOWN):
        raise Invalid(
            f"{currency} amounts have at most {exponent} decimals.",
            code=MoneyError.INVALID_AMOUNT,
        )
    money = Money(amount, currency)
    if chargeable:
        check_price_chargeable(money)
    return money


# --- what a payment provider can charge --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChargeLimits:
    """What a payment provider can charge in one currency, in amounts of that currency.

    `step`: its smallest unit; every charge is rounded down to a multiple of it at pricing
    (Stripe: 0.01 USD, 1 JPY, 1 MGA although ISO gives MGA two decimals, 0.01 KWD since its
    three-decimal amounts end in 0). `minimum`: the smallest total one payment may have
    (Stripe: 0.50 USD, 50 JPY; `step` where the provider documents none), never below `step`.
    """

    step: Decimal
    minimum: Decimal


def charge_limits(currency: str, provider: str | None = None) -> ChargeLimits:
    """`ChargeLimits` of `currency` at `provider` (a payment's own, else PAYMENT_PROVIDER),
    from that provider's edge: Stripe's tables (`lms.core.stripe_client.stripe_charge_limits`);
    the fake provider (and any other) charges any amount of ISO's minor unit. ValueError for
    a code that is no ISO 4217 currency."""
    name = provider or str(settings.PAYMENT_PROVIDER)
    if name == "stripe":
        from lms.core.stripe_client import stripe_charge_limits  # the edge imports this module

        return stripe_charge_limits(currency)
    unit = minor_unit(currency)
    return ChargeLimits(step=unit, minimum=unit)


def check_price_chargeable(price: Money, *, provider: str | None = None) -> Money:
    """A price is free (zero) or at least one unit the payment provider charges in its
    currency: 400 `invalid_amount` otherwise (0.005 KWD, 0.50 MGA with Stripe), at the edge
    where the price is set, so that no paid line can round to nothing at pricing. Stripe's
    minimum charge is not asked here: a cart adds prices up, it is checked at checkout
    (`check_chargeable_total`). The one rule; every price input goes through
    `parse_amount(..., chargeable=True)`."""
    step = charge_limits(price.currency, provider).step
    if price.is_positive and price.amount < step:
        raise Invalid(
            f"A price in {price.currency} is 0 (free) or at least "
            f"{format_money(step, price.currency)}, the smallest amount the payment "
            "provider charges in it.",
            code=MoneyError.INVALID_AMOUNT,
        )
    return price


def check_minimum_charge(total: Money, *, provider: str | None = None) -> Money:
    """At least the provider's minimum charge for one payment in the currency (Stripe: 0.50
    USD and the like); 400 `below_minimum_charge` otherwise. Checkout asks it of an order's
    total; a booking, always paid alone, asks it when it is made."""
    minimum = charge_limits(total.currency, provider).minimum
    if total.amount < minimum:
        raise Invalid(
            f"The payment provider charges at least {format_money(minimum, total.currency)} "
            f"in one payment; this total is {total}.",
            code=MoneyError.BELOW_MINIMUM_CHARGE,
        )
    return total


def check_chargeable_total(total: Money, *, provider: str | None = None) -> Money:
    """What one payment asks of the provider: at least its minimum charge in the currency and a
    multiple of its step; 400 `below_minimum_charge` otherwise (checkout, before any provider
    call; a zero total is never charged: `total` must be positive)."""
    check_minimum_charge(total, provider=provider)
    limits = charge_limits(total.currency, provider)
    if total.amount % limits.step:
        raise Invalid(
            f"The payment provider charges {total.currency} in multiples of "
            f"{format_money(limits.step, total.currency)}; this total is {total}.",
            code=MoneyError.BELOW_MINIMUM_CHARGE,
        )
    return total


def amount_string(amount: Decimal, currency: str) -> str:
    """The one rendering of an amount in responses: `"49.99"`, `"1500"`, `"12.345"`."""
    return str(quantize(Decimal(amount), currency))


def format_money(amount: Decimal, currency: str) -> str:
    """For people (emails, receipts, notifications): `49.99 USD`, `500 JPY`."""
    return f"{amount_string(amount, currency)} {currency}"


def to_minor_units(amount: Decimal, currency: str) -> int:
    """ISO minor units (49.99 USD → 4999; 500 JPY → 500): the fake provider's own units."""
    return int(quantize(amount, currency).scaleb(minor_unit_exponent(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    return quantize(Decimal(units).scaleb(-minor_unit_exponent(currency)), currency)


class InexactAmount(ValueError):
    """An amount finer than its currency's minor unit given where nothing may be rounded."""


class UnsupportedCurrency(ValueError):
    """A currency the platform does not sell in, given where only those may enter the books."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount with its currency, always exactly at the currency's minor unit.

    Three ways to make one, each with one rule:

    - `Money(amount, currency)` never rounds: an amount finer than the currency's minor unit
      is `InexactAmount`, a code that is not an ISO 4217 currency `ValueError`. The scale is
      normalised (`Money(Decimal("10.200"), "USD").amount == Decimal("10.20")`). This is the
      model boundary's rule: a stored column and its currency column (`MoneyColumn`).
    - `Money.exact(amount, currency)` is the same and also refuses a currency the platform
      does not sell in (`UnsupportedCurrency`): what is sold now (a new booking's price).
    - `Money.rounded(amount, currency, rounding=ROUND_HALF_UP)` is for computed amounts (a
      fee, a share, an hourly rate times minutes): rounded to the minor unit by the rounding
      named at the call, half up unless said otherwise (the platform fee's documented rule).

    Input from people goes through `parse_amount` (400 `invalid_amount`, never rounded).
    Arithmetic and comparisons take only `Money` of the same currency (`ValueError` for
    another currency; mypy refuses a `Decimal`).
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        amount = self.amount
        if not isinstance(amount, Decimal):
            if isinstance(amount, float) or not isinstance(amount, int):
                raise TypeError(f"Money takes a Decimal or an int, not {type(amount).__name__}.")
            amount = Decimal(amount)
        if not amount.is_finite():
            raise InexactAmount(f"{amount} is not an amount.")
        exact = amount.quantize(minor_unit(self.currency), rounding=ROUND_DOWN)
        if exact != amount:
            raise InexactAmount(
                f"{amount} has more decimals than {self.currency}'s "
                f"{minor_unit_exponent(self.currency)}."
            )
        object.__setattr__(self, "amount", exact)

    @classmethod
    def exact(cls, amount: Decimal | int, currency: str) -> Money:
        """An amount being sold: exact, in a currency the platform sells in."""
        if not is_supported_currency(currency):
            raise UnsupportedCurrency(f"{currency!r} is not a currency this platform sells in.")
        return cls(Decimal(amount), currency)

    @classmethod
    def rounded(
        cls, amount: Decimal | int, currency: str, *, rounding: str = ROUND_HALF_UP
    ) -> Money:
        """A computed amount rounded to the currency's minor unit (`decimal.ROUND_*`)."""
        return cls(Decimal(amount).quantize(minor_unit(currency), rounding=rounding), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    def percent(self, percent: Decimal | int, *, rounding: str = ROUND_HALF_UP) -> Money:
        """`percent` % of this amount, rounded to the minor unit (half up unless said)."""
        return Money.rounded(
            self.amount * Decimal(percent) / Decimal(100), self.currency, rounding=rounding
        )

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"Money cannot be combined with {type(other).__name__}.")
        if other.currency != self.currency:
            raise ValueError(f"Currency mismatch: {self.currency} and {other.currency}")


class MoneyColumn:
    """A model's amount column and its currency column read and written as one `Money`.

    `paid = MoneyColumn("amount_paid")` on a model with `amount_paid` and `currency` gives
    `row.paid == Money(row.amount_paid, row.currency)` (exact: a stored amount is at its
    currency's minor unit, or this raises `InexactAmount`), and `row.paid = money` sets both
    columns. The one rule at the model boundary; the columns stay Decimal + currency.
    """

    def __init__(self, amount_field: str, currency_field: str = "currency") -> None:
        self.amount_field = amount_field
        self.currency_field = currency_field

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> MoneyColumn: ...

    @overload
    def __get__(self, instance: object, owner: type) -> Money: ...

    def __get__(self, instance: object | None, owner: type) -> Money | MoneyColumn:
        if instance is None:
            return self
        return Money(getattr(instance, self.amount_field), getattr(instance, self.currency_field))

    def __set__(self, instance: object, value: Money) -> None:
        if not isinstance(value, Money):
            raise TypeError(f"{self.name} takes a Money, not {type(value).__name__}.")
        setattr(instance, self.amount_field, value.amount)
        setattr(instance, self.currency_field, value.currency)


def unfit_supported_currencies(codes: Any) -> list[str]:
    """The codes of `codes` that are not ISO currencies or do not fit the money columns."""
    unfit = []
    for code in codes:
        exponent = iso_exponent(code) if isinstance(code, str) else None
        if exponent is None or exponent > MONEY_DECIMAL_PLACES:
            unfit.append(str(code))
    return unfit
