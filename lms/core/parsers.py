"""DRF's parsers with the two refusals every body needs, whatever the view does with it.

- A NUL character in any string (key or value) is a 400 `null_characters_not_allowed`:
  PostgreSQL can store it in neither text nor jsonb, so it would otherwise fail as a 500
  wherever a view or a service passes the value on without a serializer's CharField.
- JSON nested deeper than `MAX_JSON_DEPTH` (or deep enough to exhaust the interpreter's
  recursion in the decoder) is a 400 `parse_error`, never a RecursionError.

Views that choose their own parsers take them from here too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

MAX_JSON_DEPTH = 64
NULL_CHARACTERS_CODE = "null_characters_not_allowed"
NULL_CHARACTERS_MESSAGE = "Null characters are not allowed."


def null_characters_error(attr: str) -> ValidationError:
    """The 400 for a NUL in the value (or key) at `attr`, in the shape of a field error."""
    return ValidationError(
        {attr: [ErrorDetail(NULL_CHARACTERS_MESSAGE, code=NULL_CHARACTERS_CODE)]}
    )


def _strings_of_json(data: Any) -> Iterator[tuple[str, str]]:
    """(attr, string) of every key and string value, iteratively; ParseError past the depth."""
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        attr, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(value, str):
            yield attr, value
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{attr}.{key}" if attr else str(key)
                yield child, key
                stack.append((child, item, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((f"{attr}.{index}" if attr else str(index), item, depth + 1))


def _refuse_null_characters(strings: Iterator[tuple[str, str]]) -> None:
    for attr, string in strings:
        if "\x00" in string:
            raise null_characters_error(attr.replace("\x00", "") or "non_field_errors")


def _strings_of_form(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    lists = data.lists() if isinstance(data, QueryDict) else ((k, [v]) for k, v in data.items())
    for key, values in lists:
        yield key, key
        for value in values:
            if isinstance(value, str):
                yield key, value


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        _refuse_null_characters(_strings_of_json(data))
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _refuse_null_characters(_strings_of_form(data))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_null_characters(_strings_of_form(parsed.data))
        return parsed
