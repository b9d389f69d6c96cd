"""Money: the platform's one currency policy and the `Money` value.

The rules, each in one place:

- **Which currencies.** The platform sells in `settings.SUPPORTED_CURRENCIES` (ISO 4217 codes;
  the default mixes two-, zero- and three-decimal currencies). Any other code is refused at
  the edge with 400 `unsupported_currency`: at course creation, never after a payment.
- **Minor units.** A currency's exponent is ISO 4217's, as py-moneyed publishes it (its
  `sub_unit`), not a table kept here: 2 for USD, 0 for JPY and ISK, 3 for KWD.
- **Columns.** Every stored amount is a `MoneyAmountField` (15 digits, 3 decimals), wide enough
  for every supported currency; the `money` system check refuses a setting that is not.
- **Input.** `parse_amount` refuses more decimals than the currency has (1500.50 JPY is 400
  `invalid_amount`, never a silent 1501); nothing is rounded on the way in.
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
from typing import Any

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


def parse_amount(value: Any, currency: str, *, allow_zero: bool = True) -> Money:
    """An exact `Money` from input, or 400 `invalid_amount`.

    Refuses what is not a finite number, negatives (and zero unless `allow_zero`), amounts of
    `MAX_AMOUNT` or more, and more decimals than the currency has; never rounds. The currency
    must be supported (400 `unsupported_currency`).
    """
    check_currency(currency)
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
    return Money(amount, currency)


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


@dataclass(frozen=True, slots=True)
class Money:
    """An amount with its currency, always at the currency's minor unit.

    Construction quantises half up (use it for computed amounts); input goes through
    `parse_amount`, which refuses instead of rounding.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", quantize(Decimal(self.amount), self.currency))

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

    def percent(self, percent: Decimal | int) -> Money:
        return Money(self.amount * Decimal(percent) / Decimal(100), self.currency)

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"Currency mismatch: {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)


def unfit_supported_currencies(codes: Any) -> list[str]:
    """The codes of `codes` that are not ISO currencies or do not fit the money columns."""
    unfit = []
    for code in codes:
        exponent = iso_exponent(code) if isinstance(code, str) else None
        if exponent is None or exponent > MONEY_DECIMAL_PLACES:
            unfit.append(str(code))
    return unfit
