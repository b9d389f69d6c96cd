from decimal import Decimal

import pytest

from lms.core.money import Money, from_minor_units, is_currency, quantize, to_minor_units


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        ("49.99", "USD", 4999),
        ("0.01", "EUR", 1),
        ("500", "JPY", 500),
        ("1.234", "KWD", 1234),
        ("10.005", "USD", 1001),  # half up at the minor unit
    ],
)
def test_minor_units_round_trip(amount, currency, units):
    assert to_minor_units(Decimal(amount), currency) == units
    assert from_minor_units(units, currency) == quantize(Decimal(amount), currency)


def test_quantize_uses_the_currency_exponent():
    assert quantize(Decimal("1999.5"), "JPY") == Decimal("2000")
    assert quantize(Decimal("1.23456"), "BHD") == Decimal("1.235")
    assert str(quantize(Decimal("3"), "USD")) == "3.00"


def test_unknown_currency_is_refused():
    assert not is_currency("XYZ")
    assert is_currency("USD")
    with pytest.raises(ValueError, match="ISO 4217"):
        quantize(Decimal(1), "XYZ")


def test_money_arithmetic_keeps_currency_and_precision():
    price = Money(Decimal("49.99"), "USD")

    fee = price.percent(15)

    assert fee == Money(Decimal("7.50"), "USD")
    assert price - fee == Money(Decimal("42.49"), "USD")
    with pytest.raises(ValueError, match="mismatch"):
        price + Money(Decimal(1), "EUR")


def test_format_money_for_people():
    from lms.core.money import format_money

    assert format_money(Decimal("49.9"), "USD") == "49.90 USD"
    assert format_money(Decimal("500"), "JPY") == "500 JPY"
    assert str(Money(Decimal("1.2345"), "KWD")) == "1.235 KWD"
