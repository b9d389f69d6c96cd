"""The serializer fields that carry money, used by every app (the rules are lms.core.money's).

- `AmountField` renders an amount of its instance's currency as a decimal string at the
  currency's minor unit: `"49.99"`, `"1500"`, `"12.345"`; the one renderer of money.
- `CurrencyInputField` takes a supported ISO code (400 `unsupported_currency`).
- `FileUrlField` renders a public stored file as an absolute URL for the request in the
  context (`lms.core.absolute_urls.file_url`); the one renderer of file links.
- `AmountInputField` takes a non-negative decimal (400 `invalid_amount`); its currency's
  exponent is checked with the currency by `check_amount_decimals`, in the serializer's
  `validate`, since a field alone does not know its currency.
- `query_amount` reads an amount in a query by the same rule (400 `invalid_amount`; on the
  parameter through `lms.core.filters.AmountFilter`), as `currency_query_param` reads a
  currency.
- `install_strict_json_types` (from `CoreConfig.ready`): in a JSON body every DRF field takes
  only the JSON type the OpenAPI document gives it (a string field no number, a boolean field
  no `1` or `"yes"`, an integer field no `"12"`): 400 `validation_error` otherwise; in a
  query or a form a boolean is `true` or `false`. It also installs the one whitespace rule
  (`trims`): free text is trimmed, a string with a pattern is read as sent, and a length
  limit holds for the string as sent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from drf_spectacular.drainage import get_override
from drf_spectacular.types import OPENAPI_TYPE_MAPPING, OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import fields, relations, serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from lms.core.absolute_urls import file_url
from lms.core.errors import Invalid
from lms.core.money import (
    MAX_AMOUNT,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    Money,
    MoneyError,
    amount_string,
    parse_amount,
    parse_currency,
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
    """A currency the platform sells in (settings.SUPPORTED_CURRENCIES), read by
    `lms.core.money.parse_currency`: `usd` is `USD`; `XXX`, `US`, a dotless-i `ILS` are 400
    `unsupported_currency` (no length rule of its own: `USDX` is no currency either)."""

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not value:
            return value
        try:
            return parse_currency(value)
        except Invalid as exc:
            raise ValidationError(str(exc.detail), code=exc.code) from None


def currency_query_param(
    params: Mapping[str, Any], name: str = "currency", *, sold: bool = True
) -> str | None:
    """`?currency=` read exactly as a body's currency (`CurrencyInputField`): absent or empty
    is no filter (None); `usd` is `USD`; anything else is 400 `unsupported_currency` on the
    parameter. Every currency query parameter and filter reads it here. `sold=False` filters
    the books (a wallet's lines, withdrawals): any currency they take, a dropped one too
    (`lms.core.money.parse_currency`)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not sold:
        try:
            return parse_currency(raw, sold=False)
        except Invalid as exc:
            raise ValidationError({name: [ErrorDetail(str(exc.detail), code=exc.code)]}) from None
    try:
        return str(CurrencyInputField(allow_blank=True).run_validation(raw)) or None
    except ValidationError as exc:
        raise ValidationError({name: exc.detail}) from None


def query_amount(raw: Any) -> Decimal:
    """An amount in a query read exactly as a body's (`AmountInputField`): ASCII digits with
    an optional point, at most 9 before it and 3 after (`AMOUNT_INPUT_PATTERN`); no sign,
    exponent, `NaN`, spaces or other digits; else DRF's 400 `invalid_amount` (no parameter
    named: `lms.core.filters.AmountFilter` names it). A query compares amounts across
    currencies, so no currency's own decimals are asked for (3 at most, as the money columns
    hold). Every amount in a query reads it: `AmountFilter` for django-filter, or an
    `AmountInputField` in a query serializer (the same field)."""
    value: Decimal = AmountInputField().run_validation(raw)
    return value


# An amount as clients send it: a decimal string (API.md: money is never a JSON number), at
# most 9 integer digits (below MAX_AMOUNT) and 3 decimals; the OpenAPI document carries the
# same pattern (lms.core.schema).
AMOUNT_INPUT_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,3})?$"
_AMOUNT_INPUT = re.compile(AMOUNT_INPUT_PATTERN)
# An ASCII decimal string of any size, to say why one is refused (too large, too many decimals).
_DECIMAL_STRING = re.compile(r"(?P<whole>[0-9]+)(\.(?P<decimals>[0-9]+))?", re.ASCII)
# MAX_AMOUNT's integer digits: a whole part at or above it compares as a longer or a larger
# digit string of the same length.
_MAX_WHOLE = str(int(MAX_AMOUNT))


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
            shape = _DECIMAL_STRING.fullmatch(data) if isinstance(data, str) else None
            # By its digits, never int(): a string of thousands of digits must not be parsed
            # (Python refuses int() beyond 4,300 digits: a 500 for a crafted body).
            whole = shape["whole"].lstrip("0") if shape is not None else ""
            if shape is not None and (len(whole), whole) >= (len(_MAX_WHOLE), _MAX_WHOLE):
                raise ValidationError(
                    f"The amount is too large: it must be below {MAX_AMOUNT}.",
                    code=MoneyError.INVALID_AMOUNT,
                )
            if shape is not None and len(shape["decimals"] or "") > MONEY_DECIMAL_PLACES:
                raise ValidationError(
                    f"An amount has at most {MONEY_DECIMAL_PLACES} decimals, and no more than "
                    "its currency has (2 for USD, 0 for JPY, 3 for KWD).",
                    code=MoneyError.INVALID_AMOUNT,
                )
            self.fail("invalid")  # "A valid number is required."
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
    attrs: dict[str, Any],
    *,
    amount: str,
    currency: str,
    allow_zero: bool = True,
    chargeable: bool = False,
) -> None:
    """Refuse `attrs[amount]` with more decimals than `currency` has (400 `invalid_amount`
    on that field); nothing is rounded. `chargeable` (a price, an hourly rate): a non-zero
    amount below the payment provider's smallest unit is refused too
    (`lms.core.money.check_price_chargeable`)."""
    value = attrs.get(amount)
    if value is None or not currency:
        return
    try:
        parse_amount(value, currency, allow_zero=allow_zero, chargeable=chargeable)
    except Invalid as exc:
        raise ValidationError({amount: [ErrorDetail(str(exc.detail), code=exc.code)]}) from None


# --- JSON types are what the document says (issue 11 §1) --------------------------------------
#
# DRF reads a value leniently so that one field serves JSON and form/query input alike:
# `CharField` takes a JSON number (`0` is stored as `"0"`), `BooleanField` takes `1`, `"yes"`
# or `"on"`, `IntegerField` takes `"12"`, a decimal takes a JSON number, a UUID an integer.
# The OpenAPI document (from the same fields) says string, boolean, integer..., and API.md
# says the body is JSON with those types, so a JSON body with another type is a 400
# `validation_error` on that field. Form and query input (a `QueryDict`, where every value is a
# string by nature: multipart uploads, `?page=2`) keeps DRF's reading.
#
# The rule is installed once on DRF's field classes (`install_strict_json_types`, from
# `CoreConfig.ready`), so every serializer of every app, declared or generated from a model,
# follows it; a subclass that overrides `to_internal_value` and calls `super()` does too.


def _json_kind(value: Any) -> str:
    """The JSON type of a parsed value: `string`, `boolean`, `integer`, `number`, `other`."""
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return "other"


def _decimal_is_string(field: Any) -> bool:
    # drf-spectacular documents a decimal as a string when it is rendered as one
    coerce = getattr(field, "coerce_to_string", None)
    return bool(api_settings.COERCE_DECIMAL_TO_STRING if coerce is None else coerce)


def _choice_accepts(field: Any, data: Any) -> bool:
    kinds = {_json_kind(key) for key in field.choices}
    kind = _json_kind(data)
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _related_pk_accepts(field: Any, data: Any) -> bool:
    if field.pk_field is not None:
        return True  # the pk field's own rule applies when it reads the value
    pk = field.get_queryset().model._meta.pk
    if pk.get_internal_type() in (
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
    ):
        return _json_kind(data) == "integer"
    return isinstance(data, str)


# field class -> (the error key it fails with, whether a JSON value is of its documented type)
STRICT_JSON_TYPES: dict[type, tuple[str, Any]] = {
    fields.CharField: ("invalid", lambda field, data: isinstance(data, str)),
    fields.BooleanField: ("invalid", lambda field, data: isinstance(data, bool)),
    fields.IntegerField: ("invalid", lambda field, data: _json_kind(data) == "integer"),
    fields.FloatField: ("invalid", lambda field, data: _json_kind(data) in ("integer", "number")),
    fields.DecimalField: (
        "invalid",
        lambda field, data: (
            isinstance(data, str)
            if _decimal_is_string(field)
            else _json_kind(data) in ("integer", "number")
        ),
    ),
    fields.UUIDField: ("invalid", lambda field, data: isinstance(data, str)),
    fields.DurationField: ("invalid", lambda field, data: isinstance(data, str)),
    fields.ChoiceField: ("invalid_choice", _choice_accepts),
    relations.PrimaryKeyRelatedField: ("incorrect_type", _related_pk_accepts),
    relations.SlugRelatedField: ("invalid", lambda field, data: isinstance(data, str)),
}


# In form and query input every value is a string; a boolean is documented there as
# `true`/`false` (what OpenAPI's serialisation of a boolean parameter sends), so DRF's other
# spellings (`1`, `yes`, `on`) are refused too. (A boolean not sent at all is DRF's
# `default_empty_html`, already a bool.)
STRICT_FORM_TYPES: dict[type, Any] = {
    fields.BooleanField: lambda field, data: (
        isinstance(data, bool) or (isinstance(data, str) and data.lower() in ("true", "false"))
    ),
}


def reads_json(field: fields.Field[Any, Any, Any, Any]) -> bool:
    """Whether the field is reading a JSON body: its root serializer's data is not form or
    query input (DRF's own test for that: a `getlist` method, as `QueryDict` has)."""
    data = getattr(field.root, "initial_data", None)
    return data is not None and not hasattr(data, "getlist")


def reads_form(field: fields.Field[Any, Any, Any, Any]) -> bool:
    """Whether the field is reading form or query input (a `QueryDict`)."""
    return hasattr(getattr(field.root, "initial_data", None), "getlist")


def _strict(to_internal_value: Any, key: str, accepts: Any, accepts_form: Any = None) -> Any:
    @functools.wraps(to_internal_value)
    def checked(self: Any, data: Any) -> Any:
        refused = (reads_json(self) and not accepts(self, data)) or (
            accepts_form is not None and reads_form(self) and not accepts_form(self, data)
        )
        if refused:
            self.fail(
                key,
                input=data,
                value=data,
                data_type=type(data).__name__,
                format="[DD] [HH:[MM:]]ss[.uuuuuu]",
            )
        return to_internal_value(self, data)

    checked.strict_json_types = True  # type: ignore[attr-defined]
    return checked


def _no_blank_id(run_validation: Any) -> Any:
    """DRF reads `""` as `null` for a related field (an empty form select); in JSON `""` is a
    string that is no id, and the document says so (a uuid, or null where allowed)."""

    @functools.wraps(run_validation)
    def checked(self: Any, data: Any = fields.empty) -> Any:
        if data == "" and reads_json(self):
            raise ValidationError("An empty string is not an id (send null).", code="invalid")
        return run_validation(self, data)

    checked.strict_json_types = True  # type: ignore[attr-defined]
    return checked


# --- whitespace: which strings are trimmed, and what the document's lengths apply to --------
#
# DRF's `CharField` strips leading and trailing whitespace (`trim_whitespace`, on by default)
# and then checks `max_length`, `min_length` and its validators on what is left, while the
# OpenAPI document's `maxLength`, `minLength` and `pattern` apply to the string as sent. One
# rule makes them agree for every serializer:
#
# - a string with a pattern (a `RegexValidator`: slugs, URLs, codes, every `RegexField`) is
#   read exactly as sent: the pattern decides about spaces;
# - an email (`format: email`) is trimmed before its format is checked, like free text: a
#   pasted address with a space at its end signs in (docs/api.md says so; JSON Schema has
#   no way to state it);
# - free text (every other `CharField` that trims) is trimmed, and then
#   - `max_length` holds for the string as sent (a longer one is 400 `max_length` even if
#     trimming would make it fit), as `maxLength` says;
#   - `min_length` and "not blank" hold for the trimmed text: the document adds a `pattern`
#     that says so (`TRIMMED_MINIMUM_PATTERN`: at least that many characters from the first
#     to the last one that is not whitespace), next to `minLength`
#     (lms.core.schema.AutoSchema).
#
# Whitespace is what `str.strip()` removes (`str.isspace`), spelled out in the pattern since
# ECMA's `\s` is another set.
WHITESPACE_CLASS = (
    r"\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)


def trimmed_minimum_pattern(minimum: int) -> str:
    """The pattern of a string whose trimmed text has at least `minimum` (>= 1) characters."""
    solid = f"[^{WHITESPACE_CLASS}]"
    if minimum <= 1:
        return solid
    return f"{solid}[\\s\\S]{{{minimum - 2},}}{solid}"


def trims(field: Any) -> bool:
    """Whether a string field trims its input: free text only (see above)."""
    if not isinstance(field, fields.CharField) or not field.trim_whitespace:
        return False
    return not any(isinstance(validator, RegexValidator) for validator in field.validators)


def _trims_free_text_only(run_validation: Any) -> Any:
    @functools.wraps(run_validation)
    def checked(self: Any, data: Any = fields.empty) -> Any:
        if self.trim_whitespace and not trims(self):
            self.trim_whitespace = False  # a pattern or a format: read as sent
        if (
            self.trim_whitespace
            and self.max_length is not None
            and isinstance(data, str)
            and len(data) > self.max_length
        ):
            self.fail("max_length", max_length=self.max_length)
        return run_validation(self, data)

    checked.strict_json_types = True  # type: ignore[attr-defined]
    return checked


# --- numbers, dates and ids are ASCII (issue: full-width digits in a date-time) ------------
#
# Django's dateparse patterns use `\d` (any Unicode digit), and Python's `int()`,
# `Decimal()`, `float()` and `uuid.UUID()` read Arabic-Indic, full-width, Devanagari... digits,
# so `"2026-12-09T18:00:00Z"` spelled with full-width digits, or an Arabic-Indic three, would be
# read as the value the ASCII spelling names.
# The OpenAPI document (RFC 3339 `date-time`, `integer`, the decimal pattern, `uuid`) allows
# ASCII only. One rule, installed on DRF's `Field.run_validation` and Django's
# `forms.Field.clean` (django-filter's filters and every form): a field of that kind refuses a
# string with any non-ASCII character, with its own `invalid` error (the field's message and
# code), in a JSON body, a form or a query alike.
#
# The kind is the field's class (DRF's and Django's date, time, duration, number and UUID
# fields, and their subclasses) or, for a project field of its own, the type its OpenAPI
# annotation gives (`extend_schema_field`: a date-time, a date, an integer, a decimal...).

ASCII_ONLY_FIELDS: tuple[type, ...] = (
    fields.DateTimeField,
    fields.DateField,
    fields.TimeField,
    fields.DurationField,
    fields.IntegerField,
    fields.FloatField,
    fields.DecimalField,
    fields.UUIDField,
)
ASCII_ONLY_FORM_FIELDS: tuple[type, ...] = (
    forms.DateTimeField,
    forms.DateField,
    forms.TimeField,
    forms.DurationField,
    forms.IntegerField,  # also DecimalField and FloatField
    forms.UUIDField,
)
# the OpenAPI types and formats of that kind, for fields known by their annotation only
ASCII_ONLY_SCHEMA_TYPES = frozenset({"integer", "number"})
ASCII_ONLY_SCHEMA_FORMATS = frozenset(
    {"date-time", "date", "time", "duration", "decimal", "uuid", "int32", "int64", "float"}
    | {"double"}
)


@functools.cache
def ascii_only(cls: Any) -> bool:
    """Whether a DRF field class reads numbers, dates, times or ids (see above)."""
    if issubclass(cls, ASCII_ONLY_FIELDS):
        return True
    schema = get_override(cls, "field")  # what `extend_schema_field` gave the class
    if isinstance(schema, OpenApiTypes):
        schema = OPENAPI_TYPE_MAPPING.get(schema)
    if not isinstance(schema, Mapping):
        return False
    return (
        schema.get("type") in ASCII_ONLY_SCHEMA_TYPES
        or schema.get("format") in ASCII_ONLY_SCHEMA_FORMATS
    )


def _invalid_kwargs(field: Any, data: str) -> dict[str, Any]:
    """What DRF's own `invalid` messages of the field interpolate."""
    from rest_framework.utils import humanize_datetime

    kwargs: dict[str, Any] = {"input": data, "value": data, "data_type": type(data).__name__}
    if isinstance(field, fields.DateTimeField):
        formats = getattr(field, "input_formats", api_settings.DATETIME_INPUT_FORMATS)
        kwargs["format"] = humanize_datetime.datetime_formats(formats)
    elif isinstance(field, fields.DateField):
        formats = getattr(field, "input_formats", api_settings.DATE_INPUT_FORMATS)
        kwargs["format"] = humanize_datetime.date_formats(formats)
    elif isinstance(field, fields.TimeField):
        formats = getattr(field, "input_formats", api_settings.TIME_INPUT_FORMATS)
        kwargs["format"] = humanize_datetime.time_formats(formats)
    else:
        kwargs["format"] = "[DD] [HH:[MM:]]ss[.uuuuuu]"  # DurationField's
    return kwargs


def _ascii_numbers(run_validation: Any) -> Any:
    @functools.wraps(run_validation)
    def checked(self: Any, data: Any = fields.empty) -> Any:
        if isinstance(data, str) and not data.isascii() and ascii_only(self.__class__):
            if "invalid" in self.error_messages:
                self.fail("invalid", **_invalid_kwargs(self, data))
            raise ValidationError("Only ASCII digits are accepted.", code="invalid")
        return run_validation(self, data)

    checked.strict_json_types = True  # type: ignore[attr-defined]
    return checked


def _ascii_numbers_in_forms(clean: Any) -> Any:
    @functools.wraps(clean)
    def checked(self: Any, value: Any) -> Any:
        field: forms.Field = self
        if (
            isinstance(value, str)
            and not value.isascii()
            and isinstance(field, ASCII_ONLY_FORM_FIELDS)
        ):
            raise forms.ValidationError(field.error_messages["invalid"], code="invalid")
        return clean(self, value)

    checked.strict_json_types = True  # type: ignore[attr-defined]
    return checked


def _ascii_ids(to_internal_value: Any) -> Any:
    """A primary key (a uuid or an integer) is ASCII: `uuid.UUID()` and `int()` would read
    other digits as the id the ASCII spelling names. Refused as no such object (the field's
    `does_not_exist`), for one id and for each of a list's (`many=True` calls this too)."""

    @functools.wraps(to_internal_value)
    def checked(self: Any, data: Any) -> Any:
        if isinstance(data, str) and not data.isascii():
            self.fail("does_not_exist", pk_value=data)
        return to_internal_value(self, data)

    checked.ascii_ids = True  # type: ignore[attr-defined]
    return checked


def install_strict_json_types() -> None:
    """Make each class of STRICT_JSON_TYPES refuse a JSON value of another type, a related
    field refuse `""` in JSON, string fields follow the whitespace rule, and number, date
    and id fields (DRF's and Django's forms') refuse non-ASCII input (idempotent)."""
    wrapped: list[tuple[type, str, Callable[[Any], Any]]] = [
        (fields.Field, "run_validation", _ascii_numbers),
        (forms.Field, "clean", _ascii_numbers_in_forms),
        (relations.RelatedField, "run_validation", _no_blank_id),
        (fields.CharField, "run_validation", _trims_free_text_only),
    ]
    for owner, name, wrap in wrapped:
        current = owner.__dict__[name]
        if not getattr(current, "strict_json_types", False):
            setattr(owner, name, wrap(current))
    for cls, (key, accepts) in STRICT_JSON_TYPES.items():
        current = cls.__dict__["to_internal_value"]
        if not getattr(current, "strict_json_types", False):
            cls.to_internal_value = _strict(  # type: ignore[attr-defined]
                current, key, accepts, STRICT_FORM_TYPES.get(cls)
            )
    current = relations.PrimaryKeyRelatedField.__dict__["to_internal_value"]
    if not getattr(current, "ascii_ids", False):
        relations.PrimaryKeyRelatedField.to_internal_value = _ascii_ids(current)  # type: ignore[method-assign]
