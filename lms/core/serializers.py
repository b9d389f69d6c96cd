"""The serializer fields that carry money, used by every app (the rules are lms.core.money's).

- `AmountField` renders an amount of its instance's currency as a decimal string at the
  currency's minor unit: `"49.99"`, `"1500"`, `"12.345"`; the one renderer of money.
- `CurrencyInputField` takes a supported ISO code (400 `unsupported_currency`).
- `FileUrlField` renders a public stored file as an absolute URL for the request in the
  context (`lms.core.absolute_urls.file_url`); the one renderer of file links.
- `AmountInputField` takes a non-negative decimal (400 `invalid_amount`); its currency's
  exponent is checked with the currency by `check_amount_decimals`, in the serializer's
  `validate`, since a field alone does not know its currency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from lms.core.absolute_urls import file_url
from lms.core.errors import Invalid
from lms.core.money import (
    MAX_AMOUNT,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    Money,
    MoneyError,
    amount_string,
    is_supported_currency,
    parse_amount,
)

AMOUNT_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d+(\.\d{1,3})?$",
    "example": "49.99",
    "description": "A decimal string with exactly the currency's ISO 4217 minor unit.",
}


@extend_schema_field(AMOUNT_SCHEMA)
class AmountField(serializers.Field[Any, Any, Any, Any]):
    """Read-only: a `Money`, or an amount in its instance's currency (`currency_source`,
    default `currency`).

    Works on model instances, read models and mappings alike; `None` stays `null`.
    """

    def __init__(self, *, currency_source: str = "currency", **kwargs: Any) -> None:
        self.currency_source = currency_source
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> tuple[Any, str] | None:
        value = super().get_attribute(instance)
        if value is None:
            return None
        if isinstance(value, Money):
            return value.amount, value.currency
        if isinstance(instance, Mapping):
            currency = instance[self.currency_source]
        else:
            currency = getattr(instance, self.currency_source)
        return value, currency

    def to_representation(self, value: tuple[Decimal, str]) -> str:
        amount, currency = value
        return amount_string(Decimal(amount), currency)

    def fast_representation(self, instance: Any, value: Any, context: Mapping[str, Any]) -> str:
        """The same string from the instance and the field's value (`lms.core.rendering`)."""
        return self.to_representation(self.get_attribute(instance))  # type: ignore[arg-type]


@extend_schema_field(OpenApiTypes.URI)
class FileUrlField(serializers.Field[Any, Any, Any, Any]):
    """Read-only: a public file (a stored name or a file field) as an absolute URL for the
    request in the context (`lms.core.absolute_urls.file_url`); empty is `null`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        return file_url(value, self.context.get("request"))

    def fast_representation(
        self, instance: Any, value: Any, context: Mapping[str, Any]
    ) -> str | None:
        """The same link with the request of the render's context (`lms.core.rendering`)."""
        return file_url(value, context.get("request"))


class CurrencyInputField(serializers.CharField):
    """A currency the platform sells in (settings.SUPPORTED_CURRENCIES); `usd` is read `USD`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("min_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).upper()
        if value and not is_supported_currency(value):
            raise ValidationError(
                f"{value!r} is not a currency this platform sells in.",
                code=MoneyError.UNSUPPORTED_CURRENCY,
            )
        return value


# An amount as clients send it: a decimal string (API.md: money is never a JSON number), at
# most 9 integer digits (below MAX_AMOUNT) and 3 decimals; the OpenAPI document carries the
# same pattern (lms.core.schema).
AMOUNT_INPUT_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,3})?$"
_AMOUNT_INPUT = re.compile(AMOUNT_INPUT_PATTERN)


class AmountInputField(serializers.DecimalField):
    """A non-negative decimal string that fits the money columns (`AMOUNT_INPUT_PATTERN`);
    every failure is `invalid_amount`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", MAX_AMOUNT - Decimal("0.001"))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not _AMOUNT_INPUT.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)

    def fail(self, key: str, **kwargs: Any) -> None:  # type: ignore[override]
        if key in ("required", "null"):
            super().fail(key, **kwargs)
        try:
            super().fail(key, **kwargs)
        except ValidationError as exc:
            raise _as_invalid_amount(exc) from None

    def run_validators(self, value: Any) -> None:
        try:
            super().run_validators(value)
        except ValidationError as exc:  # the range: min_value, max_value
            raise _as_invalid_amount(exc) from None


def _as_invalid_amount(exc: ValidationError) -> ValidationError:
    details = exc.detail if isinstance(exc.detail, list) else [exc.detail]
    return ValidationError(
        [ErrorDetail(str(detail), code=MoneyError.INVALID_AMOUNT) for detail in details]
    )


def check_amount_decimals(
    attrs: dict[str, Any], *, amount: str, currency: str, allow_zero: bool = True
) -> None:
    """Refuse `attrs[amount]` with more decimals than `currency` has (400 `invalid_amount`
    on that field); nothing is rounded."""
    value = attrs.get(amount)
    if value is None or not currency:
        return
    try:
        parse_amount(value, currency, allow_zero=allow_zero)
    except Invalid as exc:
        raise ValidationError({amount: [ErrorDetail(str(exc.detail), code=exc.code)]}) from None
