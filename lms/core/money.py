"""Money: Decimal amounts with an explicit ISO 4217 currency, rounded in one place.

Amounts are quantised to the currency's minor unit (2 decimals for USD, 0 for JPY,
3 for KWD) with banker-free ROUND_HALF_UP; integer minor units exist only at a
payment provider's edge (`to_minor_units` / `from_minor_units`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Active ISO 4217 codes with their minor-unit exponent where it is not 2.
_EXPONENT_NOT_TWO = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip
_TWO_DECIMAL = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT
LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN
NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP
SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES
WST XCD YER ZAR ZMW ZWG
""".split()  # noqa: SIM905

CURRENCY_EXPONENTS: dict[str, int] = dict.fromkeys(_TWO_DECIMAL, 2) | _EXPONENT_NOT_TWO
CURRENCY_CHOICES = sorted((code, code) for code in CURRENCY_EXPONENTS)
DEFAULT_CURRENCY = "USD"


def is_currency(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


def minor_unit_exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"Not an ISO 4217 currency: {currency!r}") from None


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up."""
    exponent = minor_unit_exponent(currency)
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """For people (emails, receipts, notifications): `49.99 USD`, `500 JPY`."""
    return f"{quantize(Decimal(amount), currency)} {currency}"


def to_minor_units(amount: Decimal, currency: str) -> int:
    """49.99 USD → 4999; 500 JPY → 500. Only for a provider's edge."""
    return int(quantize(amount, currency).scaleb(minor_unit_exponent(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    return quantize(Decimal(units).scaleb(-minor_unit_exponent(currency)), currency)


@dataclass(frozen=True, slots=True)
class Money:
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

    def percent(self, percent: Decimal | int) -> Money:
        return Money(self.amount * Decimal(percent) / Decimal(100), self.currency)

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"Currency mismatch: {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)
