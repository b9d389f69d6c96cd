"""The OpenAPI document: how drf-spectacular describes pagination and errors for every view.

`AutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) extends drf-standardized-errors' own,
which adds the error responses a view can answer from what it is (parsers, permissions,
throttles, path parameters). Three changes make the document say what the server does:

- **Pagination**: the API's views are `APIView`s that paginate with
  `lms.core.pagination.PageNumberPagination` themselves, so drf-spectacular cannot see it.
  A `GET` whose response is a list is documented as the paginated object
  (`count/next/previous/results`, `?page=&page_size=`) unless its view says
  `pagination_class = None` (the few lists answered whole: a course's curriculum,
  sections and lessons, revenue shares).
- **One error shape per kind**, not a component per operation and field: `code` is a string
  (the codes an operation can answer are listed in its response's description, see
  `errors()`), `attr` names the field of a `validation_error` and is null otherwise, and a 400
  is either `validation_error` or `client_error` (a domain rule: `cart_empty`, ...).
- **Statuses every view can answer** that the package does not add: 401 wherever a token is
  read (a bad or expired one), 403 wherever a permission or a service can refuse, 413 on every
  request body (RequestBodyLimitMiddleware, upload limits), 503 everywhere
  (`database_unavailable`) and with `service_unavailable` wherever a throttle fails closed
  while Redis is down (issue 16, item 8).
- **Optional query parameters may be empty** (`allowEmptyValue`): empty is no filter.
- **Trimmed free text** (lms.core.serializers, `trims`): a string field that trims its input
  gets a `pattern` saying that its minimum length (1 when it may not be blank) holds for the
  text between the first and the last character that is not whitespace; `maxLength` is the
  string as sent, as the server checks it.
- **Fields left out for some callers** (`optional_in_schema` on a serializer) are not required.

Domain-specific statuses and codes (402, 409, a 400's domain codes...) are declared per view:
`@extend_schema(responses={200: Out, **errors({409: ["already_enrolled"]})})`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
)
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ErrorResponse500Serializer,
    ServerErrorEnum,
    ValidationErrorEnum,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from lms.core.pagination import PageNumberPagination
from lms.core.serializers import (
    AMOUNT_INPUT_PATTERN,
    WHITESPACE_CLASS,
    trimmed_minimum_pattern,
    trims,
)

# AMOUNT_INPUT_PATTERN without zero (a coupon's value): a non-zero digit before or after
# the point.
POSITIVE_AMOUNT_PATTERN = (
    r"^([1-9][0-9]{0,8}(\.[0-9]{1,3})?|0\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$"
)


class ValidationErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Why the value was refused: `required`, `invalid`, ...")
    detail = serializers.CharField(help_text="A sentence for people; may change.")
    attr = serializers.CharField(
        help_text="The field, dotted for nested ones (`items.0.course`); `non_field_errors` "
        "for the whole body."
    )


class ValidationErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
    errors = ValidationErrorSerializer(many=True)  # type: ignore[assignment]


class ClientErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable and stable; the codes an operation answers are listed in "
        "its response's description."
    )
    detail = serializers.CharField(help_text="A sentence for people; may change.")
    attr = serializers.CharField(allow_null=True, help_text="null, or the field at fault.")


class ClientErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ClientErrorSerializer(many=True)  # type: ignore[assignment]


class ServerErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ServerErrorEnum.choices)
    errors = ClientErrorSerializer(many=True)  # type: ignore[assignment]


ERROR_400 = PolymorphicProxySerializer(
    component_name="ErrorResponse400",
    serializers={
        ValidationErrorEnum.VALIDATION_ERROR.value: ValidationErrorResponseSerializer,
        ClientErrorEnum.CLIENT_ERROR.value: ClientErrorResponseSerializer,
    },
    resource_type_field_name="type",
)

# What each status means, the start of its response's description.
STATUS_MEANING = {
    400: "The input is invalid (`validation_error`, `attr` names the field) or breaks a rule "
    "(`client_error`).",
    401: "No valid access token (`not_authenticated`, `authentication_failed`, "
    "`token_not_valid`), or wrong credentials where the operation checks them.",
    402: "A payment is required first.",
    403: "The caller may not do this (`permission_denied` or a domain code).",
    404: "Not found, or not visible to the caller (`not_found`).",
    405: "Method not allowed (`method_not_allowed`).",
    406: "No acceptable representation (`not_acceptable`).",
    409: "Conflicts with the current state.",
    413: "The request body or an uploaded file is too large (`request_too_large`, "
    "`file_too_large`).",
    415: "The body's media type, or an upload's file type, is not accepted "
    "(`unsupported_media_type`, `unsupported_file_type`).",
    429: "Too many requests (`throttled`); `Retry-After` says when to retry.",
    500: "A server error (`server_error`, code `error`).",
    502: "An upstream provider failed or timed out (`server_error`); nothing was done.",
    503: "A component the request needs is down (`server_error`); nothing was done, retry "
    "later (`Retry-After`): `database_unavailable` the database did not answer; "
    "`service_unavailable` Redis, which keeps the limits on guessing a password or a code, "
    "did not; `webhook_processing_failed` the provider delivers the event again.",
}

# Statuses documented on every operation where they can happen (see AutoSchema).
COMMON_STATUSES = ("400", "401", "403", "404", "405", "406", "413", "415", "429", "500", "503")


def _error_serializer(status: int) -> Any:
    if status == 400:
        return ERROR_400
    if status == 500:
        return ErrorResponse500Serializer
    if status > 500:
        return ServerErrorResponseSerializer
    return ClientErrorResponseSerializer


def errors(codes_by_status: Mapping[int, Iterable[str]]) -> dict[int, OpenApiResponse]:
    """`extend_schema` responses for an operation's domain errors, by status.

    `errors({409: ["already_enrolled"], 400: ["cart_empty"]})` documents each status with the
    one error shape and its codes in the description and as examples. Spread it into the
    view's `responses` dict next to the success response.
    """
    responses: dict[int, OpenApiResponse] = {}
    for status, codes in codes_by_status.items():
        listed = sorted(set(codes))
        meaning = STATUS_MEANING.get(status, "")
        described = ", ".join(f"`{code}`" for code in listed)
        responses[status] = OpenApiResponse(
            response=_error_serializer(status),
            description=f"{meaning} Codes: {described}." if listed else meaning,
            examples=[]
            if status == 400  # `validation_error` or `client_error`: the description says
            else [
                OpenApiExample(
                    code,
                    value={
                        "type": "server_error" if status >= 500 else "client_error",
                        "errors": [{"code": code, "detail": "...", "attr": None}],
                    },
                    response_only=True,
                    status_codes=[str(status)],
                )
                for code in listed
            ],
        )
    return responses


def domain_errors(codes_by_status: Mapping[int, Iterable[str]]) -> Any:
    """Document the domain errors a view method answers, next to its `extend_schema`:

        @domain_errors({402: ["payment_required"], 409: ["already_enrolled"]})
        @extend_schema(request=None, responses={201: EnrollmentSerializer})
        def post(...): ...

    Each status gets the one error shape with its codes listed (see `errors()`); a status the
    AutoSchema adds anyway (400, 403...) keeps its shape and gains the codes.
    """

    def decorate(method: Any) -> Any:
        method.domain_errors = {
            **getattr(method, "domain_errors", {}),
            **{status: tuple(codes) for status, codes in codes_by_status.items()},
        }
        return method

    return decorate


def validates_whole_body(method: Any) -> Any:
    """Mark a PATCH that validates its body with the serializer as declared (no
    `partial=True`): the document then keeps the serializer's required fields, where
    drf-spectacular would make every field optional as DRF's partial updates do."""
    method.validates_whole_body = True
    return method


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' AutoSchema with this API's pagination and error statuses."""

    def _get_paginator(self) -> Any:
        if hasattr(self.view, "pagination_class"):  # GenericAPIView, or a view's own say
            return super()._get_paginator()
        if self.method == "GET" and self._is_list_view():
            return PageNumberPagination()
        return None

    def map_parsers(self) -> list[Any]:
        """JSON for a body without files, multipart for one with files: what clients send.

        The parsers also read the other forms, but a nested object or a list has no form
        encoding, and a file cannot travel in JSON.
        """
        media_types = super().map_parsers()
        wanted = "multipart/form-data" if self._uploads_files() else "application/json"
        return [wanted] if wanted in media_types else media_types

    def _uploads_files(self) -> bool:
        serializer = self.get_request_serializer()
        if isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer):
            serializer = serializer()
        fields = getattr(serializer, "fields", None)
        if not fields:
            return False
        return any(isinstance(field, serializers.FileField) for field in fields.values())

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        method = getattr(self.view, self.method.lower(), None)
        if self.method != "PATCH" or not getattr(method, "validates_whole_body", False):
            schema, required = super()._get_request_for_media_type(serializer, direction)
        else:
            self.method = "PUT"  # drf-spectacular simulates partial=True for PATCH only
            try:
                schema, required = super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        # a body whose fields are required together (`required_together`) is required, though
        # no one field is
        return schema, required or bool(getattr(serializer, "required_together", None))

    def _get_parameters(self) -> list[dict[str, Any]]:
        """An optional query parameter may be sent empty (`?level=`, `?student=`, `?page=`):
        empty is "no filter" wherever the API reads a query. django-filter and the views
        reading by hand say so themselves; a query serializer reads its data as form input,
        where DRF takes an empty optional field as not sent (`Field.get_value`), or as
        `null`/`""` where the field allows it, which the views read as no filter. So every
        optional query parameter is documented with `allowEmptyValue`. (No query serializer
        has a list field, the one kind that would read `?x=` as `[""]`.)"""
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            if parameter.get("in") != "query":
                continue
            if not parameter.get("required"):
                parameter["allowEmptyValue"] = True
                continue
            # and a required one sent empty is not sent: 400 `blank` or `required`
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not {"enum", "pattern", "minLength"} & set(
                schema
            ):
                schema["minLength"] = 1
        return parameters

    def _get_request_body(self, direction: Any = "request") -> Any:
        """A DELETE whose view declares a request body (`@extend_schema(request=...)`:
        deleting your account asks for your password) documents it; drf-spectacular gives
        bodies to POST, PUT and PATCH only."""
        if self.method != "DELETE" or self._declared_request_serializer() is None:
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def _declared_request_serializer(self) -> Any:
        """The request serializer `@extend_schema(request=...)` names, without drf-spectacular's
        guess from the view (which a DELETE has no use for)."""
        self._get_serializer = lambda: None  # type: ignore[method-assign]
        try:
            return self.get_request_serializer()
        finally:
            del self._get_serializer

    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        result: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and not field.read_only and trims(field):
            _state_trimmed_minimum(result, field)
        if direction == "request" and isinstance(field, serializers.DecimalField):
            _state_decimal_digits(result, field)
        if direction == "request" and isinstance(field, serializers.FileField):
            # an empty file is refused: 400 `empty`, or `required` when the part is dropped
            result.setdefault("minLength", 1)
        return result

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        if schema.get("pattern") == EMAIL_PATTERN:  # EmailFieldExtension's: no `format`
            schema.pop("format", None)

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        """A serializer's `optional_in_schema` names fields it leaves out for some callers
        (`WithdrawalSerializer`'s admin-only fields): drf-spectacular marks every read-only
        field required, so these are taken out of `required`.

        An input serializer's `required_together` states a requirement its `validate` checks
        over several fields: `[("token",), ("email", "code")]` is "either `token`, or
        `email` and `code`" (an `anyOf` of `required` lists); a branch may also name the
        value that makes fields required, `({"kind": "fixed"}, "currency")`: "a fixed coupon
        names its currency" (`anyOf`: `kind` is another value, or `currency` is given)."""
        result: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        optional = set(getattr(serializer, "optional_in_schema", ()))
        if optional and "required" in result:
            result["required"] = [name for name in result["required"] if name not in optional]
            if not result["required"]:
                del result["required"]
        together = getattr(serializer, "required_together", None)
        if together and direction == "request":
            # `allOf` [the object, the `anyOf`]: a typed client keeps the object's type
            # (openapi-typescript reads an `anyOf` beside `properties` as a union with it)
            branches = [_required_branch(serializer, branch) for branch in together]
            described = {key: result.pop(key) for key in ("description",) if key in result}
            return {**described, "allOf": [result, {"anyOf": branches}]}
        return result

    def _get_allowed_error_status_codes(self) -> list[str]:
        return list(COMMON_STATUSES)

    def _get_error_response_serializer(self, status_code: str) -> Any:
        return _error_serializer(int(status_code))

    def _should_add_error_response(self, responses: dict[str, Any], status_code: str) -> bool:
        if status_code in responses:
            return False
        if status_code == "401":
            return self._reads_a_token()
        if status_code == "403":
            return self._reads_a_token() and not self._allows_anyone()
        if status_code == "413":
            return self.method in ("POST", "PUT", "PATCH")
        if status_code == "503":
            return False  # on every operation, with its codes: _get_response_bodies
        return super()._should_add_error_response(responses, status_code)

    def _fails_closed(self) -> bool:
        """A throttle that refuses with 503 `service_unavailable` while the cache is down
        (`fails_closed = True`: the limits on guessing, lms.accounts.throttles) rather than
        let requests through uncounted; a view whose service checks such a limit itself
        declares 503 with `@domain_errors`."""
        return any(
            getattr(throttle, "fails_closed", False) for throttle in self.view.get_throttles()
        )

    def _reads_a_token(self) -> bool:
        return bool(self.view.get_authenticators())

    def _allows_anyone(self) -> bool:
        permissions = self.view.get_permissions()
        return all(isinstance(permission, AllowAny) for permission in permissions)

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        method = getattr(self.view, self.method.lower(), None)
        declared = dict(getattr(method, "domain_errors", {}))
        # 503 everywhere: the database did not answer (lms.core.errors.database_unavailable);
        # and where a limit on guessing fails closed while Redis is down
        unavailable = {*declared.get(503, ()), "database_unavailable"}
        if self._fails_closed():
            unavailable.add("service_unavailable")
        declared[503] = sorted(unavailable)
        for status, response in errors(declared).items():
            responses[str(status)] = self._get_response_for_code(response, str(status))
        return dict(sorted(responses.items()))

    def _get_response_for_code(
        self,
        serializer: Any,
        status_code: str,
        media_types: Any = None,
        direction: Any = "response",
    ) -> Any:
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        status = int(status_code) if status_code.isdigit() else 0
        if status >= 400 and not response.get("description"):
            response["description"] = STATUS_MEANING.get(status, "")
        return response


def _required_branch(serializer: Any, branch: Iterable[Any]) -> dict[str, Any]:
    """One `anyOf` branch of `required_together` (see AutoSchema._map_basic_serializer)."""
    names = [item for item in branch if isinstance(item, str)]
    conditions = [item for item in branch if isinstance(item, Mapping)]
    given: dict[str, Any] = {"required": names}
    # a string that may be blank is not given when blank (`validate` reads it as falsy)
    blank = [name for name in names if getattr(serializer.fields[name], "allow_blank", False)]
    if blank:
        given["properties"] = {name: {"minLength": 1} for name in blank}
    if not conditions:
        return given
    # "when `kind` is `fixed`, `currency` is given": `kind` is another value, or it is given
    (condition,) = conditions
    ((field_name, value),) = condition.items()
    others = [choice for choice in serializer.fields[field_name].choices if choice != value]
    return {
        "anyOf": [
            {"properties": {field_name: {"enum": others}}},
            given,
        ]
    }


def _state_decimal_digits(schema: dict[str, Any], field: Any) -> None:
    r"""A decimal string input has a digit, and no sign when its minimum is not negative.

    drf-spectacular's pattern for a `DecimalField` (`^-?\d{0,3}(?:\.\d{0,2})?$`) also matches
    `""`, `"-"` and `"."`, which DRF refuses (400 `invalid`), and `"-5"` where a minimum of 0
    refuses it (400 `min_value`). A pattern set by a field extension is left alone.
    """
    pattern = schema.get("pattern")
    digits = re.fullmatch(r"\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$", pattern or "")
    if schema.get("type") != "string" or digits is None:
        return
    whole, places = int(digits.group(1)), int(digits.group(2))
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    fraction = f"(\\.[0-9]{{0,{places}}})?" if places else ""
    point_first = f"|\\.[0-9]{{1,{places}}}" if places else ""
    if whole < 1:
        return
    schema["pattern"] = f"^{sign}([0-9]{{1,{whole}}}{fraction}{point_first})$"


def _state_trimmed_minimum(schema: dict[str, Any], field: Any) -> None:
    """Say in a trimmed string's schema that its minimum holds after trimming.

    Not blank (or `min_length` n): a `pattern` of n characters from the first to the last
    non-whitespace one. A field that may be blank and has a `min_length` is either that or
    whitespace only (the server reads it as `""`); drf-spectacular's `oneOf` alternative
    `maxLength: 0` becomes "whitespace only". A schema with its own pattern or an enum (a
    field extension's) is left alone.
    """
    minimum = field.min_length or 0
    if field.allow_blank:
        alternatives = schema.get("oneOf")
        if not minimum or not isinstance(alternatives, list) or len(alternatives) != 2:
            return
        inner, blank = alternatives
        if "pattern" in inner or blank.get("maxLength") != 0:
            return
        inner["pattern"] = trimmed_minimum_pattern(minimum)
        blank.pop("maxLength")
        blank["pattern"] = f"^[{WHITESPACE_CLASS}]*$"
        if field.max_length is not None:
            blank["maxLength"] = field.max_length
        return
    if "pattern" in schema or "enum" in schema or schema.get("type") != "string":
        return
    schema["pattern"] = trimmed_minimum_pattern(max(minimum, 1))


def currency_parameter(description: str = "") -> OpenApiParameter:
    """A `?currency=` filter: one of settings.SUPPORTED_CURRENCIES, exactly (400 otherwise)."""
    return OpenApiParameter(
        "currency",
        OpenApiTypes.STR,
        enum=list(settings.SUPPORTED_CURRENCIES),
        description=description or "An ISO 4217 code the platform sells in.",
    )


# --- the money input fields: what lms.core.serializers accepts, exactly -----------------------


class CurrencyInputFieldExtension(OpenApiSerializerFieldExtension):
    """A currency the platform sells in: the enum is settings.SUPPORTED_CURRENCIES."""

    target_class = "lms.core.serializers.CurrencyInputField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": list(settings.SUPPORTED_CURRENCIES),
            "description": "An ISO 4217 code the platform sells in "
            "(settings.SUPPORTED_CURRENCIES); read case-insensitively. Others: 400 "
            "`unsupported_currency`.",
        }


class AmountInputFieldExtension(OpenApiSerializerFieldExtension):
    """A decimal string: AMOUNT_INPUT_PATTERN, or POSITIVE_AMOUNT_PATTERN above a zero minimum."""

    target_class = "lms.core.serializers.AmountInputField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        positive = self.target.min_value is not None and self.target.min_value > 0
        return {
            "type": "string",
            "format": "decimal",
            "pattern": POSITIVE_AMOUNT_PATTERN if positive else AMOUNT_INPUT_PATTERN,
            "example": "49.99",
            "description": f"A {'positive' if positive else 'non-negative'} amount as a decimal "
            "string below 1 000 000 000; at most as many decimals as the currency's ISO 4217 "
            "minor unit (`JPY` none, `USD` two, `KWD` three), else 400 `invalid_amount`.",
        }


# The emails the document promises the server takes: ASCII dot-atom local parts and host
# names with a top-level label of letters (`-` inside), or `localhost`, a subset of Django's
# EmailValidator (5.2), which also takes quoted local parts, international domains, address
# literals and surrounding whitespace (trimmed first, lms.core.serializers `trims`). A subset,
# so that every address the document calls valid is taken; the larger exact expression made
# generating test data several times slower for no client's benefit.
_ATOM = r"[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"[A-Za-z]([A-Za-z-]{0,61}[A-Za-z])"
EMAIL_PATTERN = rf"^{_ATOM}(\.{_ATOM})*@(localhost|({_LABEL}\.)+{_TLD})$"


class EmailFieldExtension(OpenApiSerializerFieldExtension):
    """An email input: EMAIL_PATTERN, addresses the server takes, in place of
    `format: email`, which allows addresses Django refuses (`0@0.a`)."""

    target_class = "rest_framework.fields.EmailField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        if direction == "request" and schema.get("type") == "string":
            # the pattern says it; `format: email` allows what the server refuses
            schema.pop("format", None)
            schema["pattern"] = EMAIL_PATTERN
        return schema


class TimeFieldExtension(OpenApiSerializerFieldExtension):
    """DRF's `TimeField` is a wall-clock time without an offset (`"09:30:00"`, microseconds
    when set); OpenAPI's `format: time` is RFC 3339's full-time, which requires one. Input
    may carry an offset (Python's `time.fromisoformat`)."""

    target_class = "rest_framework.fields.TimeField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        clock = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
        if direction == "response":
            return {"type": "string", "pattern": f"^{clock}$", "example": "09:30:00"}
        offset = r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
        return {"type": "string", "pattern": f"^{clock}{offset}$", "example": "09:30"}


# --- postprocessing hooks (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) -------------------------

_METHODS = ("get", "put", "patch", "post", "delete")


def _success_ref(operation: Mapping[str, Any]) -> str | None:
    for status, response in operation.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            return str(schema["$ref"])
    return None


def _body_pointer(param: str, schema: Mapping[str, Any]) -> str:
    """Where the created resource's response holds the value of path parameter `param`."""
    properties = schema.get("properties", {})
    field = properties.get(param)
    if field is not None and (field.get("type") == "string" or "format" in field):
        return f"$response.body#/{param}"
    if field is not None and ("$ref" in field or field.get("type") == "object"):
        return f"$response.body#/{param}/id"
    return "$response.body#/id"


def _item_prefix(path: str) -> tuple[str, str] | None:
    """`/a/{x}/b/{y}/` -> (`/a/{x}/b/{y}/`, `y`): an item path and its last parameter."""
    parts = path.rstrip("/").split("/")
    last = parts[-1] if parts else ""
    if last.startswith("{") and last.endswith("}"):
        return path, last[1:-1]
    return None


# Operations a created resource cannot go to at once, with the reason (a link promises that the
# created id works there).
UNLINKED_OPERATIONS = {
    "v1_courses_enroll_create": "a new course is a draft: nobody enrolls before it is published",
}


def add_links(result: dict[str, Any], generator: Any, request: Any, public: Any) -> dict[str, Any]:
    """OpenAPI links from each create (a POST answering 201 with a body) to what uses its id.

    A created resource is used by the operations under its item path: `POST /courses/`
    answers a `CourseDetail` whose `id` fills `{course}` in `GET/PATCH/DELETE /courses/{course}/`
    and `POST /courses/{course}/sections/`. The item path is found from the collection path
    (`X/` -> `X/{param}/`) or, for resources created under a parent
    (`POST /courses/{course}/sections/` -> `/sections/{id}/`), from the operations answering the
    same schema. A client (and schemathesis's stateful phase) can then chain
    create -> read -> update -> delete without knowing the URLs.
    """
    paths: dict[str, dict[str, Any]] = result.get("paths", {})
    schemas: dict[str, Any] = result.get("components", {}).get("schemas", {})
    item_paths_by_ref: dict[str, set[str]] = {}
    for path, operations in paths.items():
        if _item_prefix(path) is not None:
            for method in ("get", "put", "patch"):
                ref = _success_ref(operations.get(method, {}))
                if ref:
                    item_paths_by_ref.setdefault(ref, set()).add(path)
        # An action on an item answering the item (`POST /replies/{id}/upvote/` -> Reply,
        # `POST /enrollments/{enrollment_id}/mark-lesson-complete/` -> Enrollment) names the
        # item path of that schema too, when nothing reads the item there under its own name
        # (an enrollment is read as EnrollmentDetail; a reply is never read alone).
        owner = _action_owner(path)
        if owner is not None and not ("post" in operations and _creates(operations["post"])):
            for method in ("post", "put", "patch", "delete"):
                ref = _success_ref(operations.get(method, {}))
                if ref:
                    item_paths_by_ref.setdefault(ref, set()).add(owner)

    for path, operations in paths.items():
        create = operations.get("post")
        if not create or "201" not in create.get("responses", {}):
            continue
        ref = _success_ref({"responses": {"201": create["responses"]["201"]}})
        if ref is None:
            continue
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
        item_paths = set(item_paths_by_ref.get(ref, set()))
        item_paths |= {
            candidate
            for candidate in paths
            if candidate.startswith(path)
            and _item_prefix(candidate) is not None
            and candidate[len(path) :].count("/") == 1
        }
        links: dict[str, Any] = {}
        for item_path in sorted(item_paths):
            prefix = _item_prefix(item_path)
            assert prefix is not None
            _, param = prefix
            for candidate, candidate_operations in paths.items():
                if not candidate.startswith(item_path) or candidate == path:
                    continue
                # only paths whose other parameters the create's own path also has
                own = set(_path_parameters(path))
                needed = set(_path_parameters(candidate)) - {param}
                if not needed <= own:
                    continue
                for method in _METHODS:
                    operation = candidate_operations.get(method)
                    if operation is None or "operationId" not in operation:
                        continue
                    if operation["operationId"] in UNLINKED_OPERATIONS:
                        continue
                    parameters = {param: _body_pointer(param, schema)}
                    parameters |= {name: f"$request.path.{name}" for name in needed}
                    links[_link_name(operation["operationId"])] = {
                        "operationId": operation["operationId"],
                        "parameters": parameters,
                        "description": f"`{param}` of {method.upper()} {candidate} is the "
                        "created resource's.",
                    }
        if links:
            create["responses"]["201"]["links"] = links
    return result


def _action_owner(path: str) -> str | None:
    """`/a/{x}/act/` -> `/a/{x}/`: the item an action path belongs to (one fixed segment after
    the item's parameter); None for anything else."""
    parts = path.rstrip("/").split("/")
    if len(parts) >= 3 and not parts[-1].startswith("{") and parts[-2].startswith("{"):
        return "/".join(parts[:-1]) + "/"
    return None


def _creates(operation: Mapping[str, Any]) -> bool:
    return "201" in operation.get("responses", {})


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _link_name(operation_id: str) -> str:
    return "".join(part.capitalize() for part in operation_id.split("_"))


def page_parameters(
    result: dict[str, Any], generator: Any, request: Any, public: Any
) -> dict[str, Any]:
    """`page` and `page_size` are positive integers wherever they are documented (a view may
    declare its own `page_size` to describe its limit): PageNumberPagination refuses the rest.
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if (
                    parameter.get("in") == "query"
                    and parameter.get("name") in ("page", "page_size")
                    and schema.get("type") == "integer"
                ):
                    schema.setdefault("minimum", 1)
    return result


MEDIA_STREAM_PATH = "/api/v1/media/stream/{token}/"


def add_media_stream(
    result: dict[str, Any], generator: Any, request: Any, public: Any
) -> dict[str, Any]:
    """The signed media stream (a plain Django view, so drf-spectacular does not see it)."""
    paths: dict[str, Any] = result.setdefault("paths", {})
    client_error = {"$ref": "#/components/schemas/ClientErrorResponse"}
    paths[MEDIA_STREAM_PATH] = {
        "get": {
            "operationId": "v1_media_stream_retrieve",
            "summary": "A media file by its signed, expiring token",
            "description": (
                "The `url` of a media asset or a lesson's playback answer points here; the "
                "token is the authorisation (no `Authorization` header), valid for a few "
                "minutes. Slides and archives come as attachments, video, audio, images and "
                "PDFs inline. `Range: bytes=...` is honoured (206 with `Content-Range`; 416 "
                "outside the file) and `Accept-Ranges: bytes` is sent, so players can seek."
            ),
            "tags": ["v1"],
            "security": [{}],
            "parameters": [
                {
                    "name": "token",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The signed token from the media `url`.",
                },
                {
                    "name": "Range",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^bytes=\\d*-\\d*$"},
                    "description": "One byte range, e.g. `bytes=0-1023` or `bytes=1024-`.",
                },
            ],
            "responses": {
                "200": {
                    "description": "The whole file.",
                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                },
                "206": {
                    "description": "The requested range (`Content-Range` says which).",
                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                },
                "403": {
                    "description": "The token is invalid or has expired (`invalid_signature`).",
                    "content": {"application/json": {"schema": client_error}},
                },
                "405": {"description": "Only GET."},
                "416": {"description": "The range lies outside the file."},
                "503": {
                    "description": "The database did not answer (`database_unavailable`).",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ServerErrorResponse"}
                        }
                    },
                },
            },
        }
    }
    return result
