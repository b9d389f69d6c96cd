"""django-filter filters that read a query as the OpenAPI document describes it.

`BooleanFilter`: `?unread=true` / `?unread=false` (any case); empty is no filter
(`allowEmptyValue`, lms.core.schema); anything else (`1`, `yes`, `-5`) is 400
`validation_error` `invalid` on the parameter, where django-filter's own `BooleanFilter`
reads it silently as no filter. The JSON and form fields of serializers follow the same rule
(lms.core.serializers, strict types).

`AmountFilter`: an amount (`?price_min=10.50`) read exactly as a body's amount
(lms.core.serializers `query_amount`, `AmountInputField`): digits, an optional point,
at most 9 digits before it and 3 after; empty is no filter; anything else (`1e3`, `NaN`,
`-1`, full-width digits, ten digits) is 400 `invalid_amount` on the parameter, where
django-filter's `NumberFilter` reads `1e999` or `Infinity` as a number. Document it with
`AMOUNT_QUERY_SCHEMA`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from rest_framework.exceptions import ValidationError

from lms.core.money import MoneyError
from lms.core.serializers import AMOUNT_INPUT_PATTERN, query_amount

# The OpenAPI schema of an amount query parameter: the body's amount pattern (a string, as
# the server reads it; a `number` would let a client send `1e3`).
AMOUNT_QUERY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "decimal",
    "pattern": AMOUNT_INPUT_PATTERN,
    "example": "49.99",
}


class BooleanField(forms.Field):
    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in ("true", "false"):
            return text == "true"
        raise forms.ValidationError("Use true or false.", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = BooleanField


class AmountField(forms.Field):
    def to_python(self, value: Any) -> Decimal | None:
        if value in (None, ""):
            return None
        try:
            return query_amount(value)
        except ValidationError as exc:  # DRF's, as forms' (every failure is invalid_amount)
            details = exc.detail if isinstance(exc.detail, list) else [exc.detail]
            raise forms.ValidationError(
                [
                    forms.ValidationError(str(detail), code=MoneyError.INVALID_AMOUNT)
                    for detail in details
                ]
            ) from None


class AmountFilter(django_filters.Filter):
    """An amount compared with `lookup_expr` (`gte`, `lte`), read by `AmountField`."""

    field_class = AmountField
