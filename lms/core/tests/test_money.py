from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

from lms.core.apps import check_supported_currencies
from lms.core.errors import Invalid
from lms.core.money import (
    InexactAmount,
    Money,
    MoneyColumn,
    UnsupportedCurrency,
    amount_string,
    from_minor_units,
    is_currency,
    minor_unit_exponent,
    parse_amount,
    quantize,
    to_minor_units,
)


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
    assert str(Money(Decimal("1.23"), "KWD")) == "1.230 KWD"
    assert str(Money.rounded(Decimal("1.2345"), "KWD")) == "1.235 KWD"


# --- the three constructors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1500.5", "JPY"), ("49.999", "USD"), ("12.3456", "KWD"), ("0.1", "ISK")],
)
def test_money_never_rounds_an_amount_finer_than_its_currency(amount, currency):
    with pytest.raises(InexactAmount):
        Money(Decimal(amount), currency)
    with pytest.raises(InexactAmount):
        Money.exact(Decimal(amount), currency)


def test_money_normalises_the_scale_of_an_exact_amount():
    # given: a 15,3 column's value
    money = Money(Decimal("10.200"), "USD")

    # then
    assert money == Money(Decimal("10.2"), "USD")
    assert str(money.amount) == "10.20"
    assert str(Money(Decimal("1500.000"), "JPY").amount) == "1500"


def test_money_refuses_floats_and_what_is_not_a_currency():
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(Decimal(1), "XYZ")
    with pytest.raises(InexactAmount):
        Money(Decimal("NaN"), "USD")


def test_exact_refuses_a_currency_the_platform_does_not_sell_in(settings):
    settings.SUPPORTED_CURRENCIES = ["USD", "EUR"]

    assert Money.exact(Decimal("1.000"), "USD") == Money(Decimal(1), "USD")
    with pytest.raises(UnsupportedCurrency):
        Money.exact(Decimal("1.000"), "KWD")
    assert Money(Decimal("1.000"), "KWD").amount == Decimal("1.000")  # stored rows still load


@pytest.mark.parametrize(
    ("amount", "currency", "rounding", "expected"),
    [
        ("7.4985", "USD", ROUND_HALF_UP, "7.50"),
        ("7.4949", "USD", ROUND_HALF_UP, "7.49"),
        ("7.4999", "USD", ROUND_DOWN, "7.49"),
        ("1999.5", "JPY", ROUND_HALF_UP, "2000"),
        ("1.2345", "KWD", ROUND_HALF_UP, "1.235"),
        ("1.2345", "KWD", ROUND_DOWN, "1.234"),
    ],
)
def test_rounded_rounds_a_computed_amount_by_the_named_rule(amount, currency, rounding, expected):
    assert Money.rounded(Decimal(amount), currency, rounding=rounding).amount == Decimal(expected)


def test_money_compares_and_adds_only_money_of_its_currency():
    price = Money(Decimal("10.00"), "USD")

    assert price > Money(Decimal("9.99"), "USD")
    assert price >= price
    assert price <= price
    assert -price < price
    assert sum([price, price], Money.zero("USD")) == Money(Decimal("20"), "USD")
    with pytest.raises(TypeError):
        price + Decimal(1)  # type: ignore[operator]
    with pytest.raises(ValueError, match="mismatch"):
        price < Money(Decimal(1), "EUR")  # noqa: B015


def test_money_column_reads_and_writes_the_two_columns_as_one_money():
    class Row:
        paid = MoneyColumn("amount_paid")

        def __init__(self, amount_paid, currency):
            self.amount_paid, self.currency = amount_paid, currency

    row = Row(Decimal("12.340"), "KWD")

    assert row.paid == Money(Decimal("12.34"), "KWD")
    row.paid = Money(Decimal(1500), "JPY")
    assert (row.amount_paid, row.currency) == (Decimal(1500), "JPY")
    with pytest.raises(TypeError):
        row.paid = Decimal(1)  # type: ignore[assignment]
    with pytest.raises(InexactAmount):
        Row(Decimal("0.5"), "JPY").paid  # noqa: B018


# --- the currency policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "amount"),
    [
        ("1500", "JPY", "1500"),
        ("12.345", "KWD", "12.345"),
        ("49.9", "USD", "49.90"),
        ("0", "ISK", "0"),
    ],
)
def test_parse_amount_keeps_exact_amounts(value, currency, amount):
    assert parse_amount(value, currency) == Money(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("value", "currency", "code"),
    [
        ("1500.50", "JPY", "invalid_amount"),
        ("12.3456", "KWD", "invalid_amount"),
        ("1.001", "USD", "invalid_amount"),
        ("-1", "USD", "invalid_amount"),
        ("NaN", "USD", "invalid_amount"),
        ("1e9", "USD", "invalid_amount"),
        ("abc", "USD", "invalid_amount"),
        ("1", "CLF", "unsupported_currency"),  # ISO, 4 decimals: outside the policy
        ("1", "XYZ", "unsupported_currency"),
        ("1", "usd", "unsupported_currency"),
    ],
)
def test_parse_amount_refuses_instead_of_rounding(value, currency, code):
    with pytest.raises(Invalid) as caught:
        parse_amount(value, currency)
    assert caught.value.code == code


def test_exponents_come_from_iso_4217():
    assert [minor_unit_exponent(c) for c in ("USD", "JPY", "ISK", "KWD", "IQD", "MGA", "CLF")] == [
        2, 0, 0, 3, 3, 2, 4,
    ]  # fmt: skip


def test_one_rendering_of_amounts():
    amounts = [("1500", "JPY"), ("3", "USD"), ("1.2", "KWD")]
    assert [amount_string(Decimal(a), c) for a, c in amounts] == ["1500", "3.00", "1.200"]


def test_the_money_check_refuses_currencies_the_columns_cannot_hold(settings):
    settings.SUPPORTED_CURRENCIES = ["USD", "CLF", "XYZ"]
    errors = check_supported_currencies()
    assert [e.id for e in errors] == ["money.E002"]
    assert "CLF" in errors[0].msg
    assert "XYZ" in errors[0].msg
    settings.SUPPORTED_CURRENCIES = ["EUR"]
    assert [e.id for e in check_supported_currencies()] == ["money.E003"]


def test_the_default_policy_passes_its_check():
    assert check_supported_currencies() == []


MIXED = """
from decimal import Decimal
from lms.core.money import Money

def credit(amount: Money) -> Money:
    return amount

credit(Decimal("1.00"))
Money(Decimal(1), "USD") + Decimal(1)
Money(Decimal(1), "USD") < Decimal(1)
Money(Decimal(1), "USD").percent(15) - 1
"""


def test_mypy_refuses_a_decimal_where_money_is_expected(tmp_path):
    # given: code that mixes a Decimal into Money's signatures and arithmetic
    from mypy import api

    source = tmp_path / "mixed.py"
    source.write_text(MIXED)

    # when: mypy checks it (the project's own settings are not needed for lms.core.money)
    report, _, status = api.run(
        [
            "--config-file=",
            "--ignore-missing-imports",
            "--follow-imports=silent",
            f"--cache-dir={tmp_path / 'cache'}",
            str(source),
        ]
    )

    # then: each mix is a type error
    assert status == 1, report
    assert report.count("mixed.py:") == 4, report
    assert 'incompatible type "Decimal"; expected "Money"' in report
