"""A pattern that checks user input names ASCII digits and letters (`[0-9]`, `[A-Za-z]`), never
`\\d` or `\\w`: in Python's `re` those also match full-width, Arabic-Indic and other Unicode
digits and letters (unless the pattern is compiled with `re.ASCII`), so a code in full-width
digits passed a six-digit code's field and reached the service. The document's ECMA `\\d` is
ASCII only: the two would disagree too. Checked as a kind (every RegexValidator on a
serializer's declared fields and on a model field), then through the fields that had `\\d`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.validators import RegexValidator
from django.urls import get_resolver
from rest_framework import serializers

from lms.analytics.export import safe_cell

# `\d`, `\w` (and their negations) not preceded by an escaping backslash
UNICODE_CLASS = re.compile(r"(?<!\\)(?:\\\\)*\\[dwDW]")

# Django's URLValidator matches international host names on purpose (and is not user text
# checked against a documented pattern here: a URLField's format is `uri`).
DELIBERATELY_UNICODE = {"URLValidator"}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _patterns(owner: str, name: str, field: Any) -> Iterator[tuple[str, RegexValidator]]:
    for validator in getattr(field, "validators", []):
        if isinstance(validator, RegexValidator):
            yield f"{owner}.{name}", validator
    child = getattr(field, "child", None)
    if child is not None:
        yield from _patterns(owner, f"{name}[]", child)


def every_input_pattern() -> list[tuple[str, RegexValidator]]:
    get_resolver().url_patterns  # noqa: B018 (imports every app's API, so its serializers)
    found = []
    for cls in set(_subclasses(serializers.Serializer)):
        if cls.__module__.startswith("lms."):
            for name, field in getattr(cls, "_declared_fields", {}).items():
                found.extend(_patterns(f"{cls.__module__}.{cls.__qualname__}", name, field))
    for model in apps.get_models():
        if model.__module__.startswith("lms."):
            for field in model._meta.get_fields():
                found.extend(_patterns(model.__name__, field.name, field))
    return found


def test_no_input_pattern_lets_unicode_digits_or_letters_through():
    patterns = every_input_pattern()
    assert len(patterns) > 20  # the sweep sees the serializers
    unicode_patterns = {
        where: validator.regex.pattern
        for where, validator in patterns
        if type(validator).__name__ not in DELIBERATELY_UNICODE
        and not validator.regex.flags & re.ASCII
        and UNICODE_CLASS.search(validator.regex.pattern)
    }
    assert unicode_patterns == {}


@pytest.mark.parametrize("pattern", [r"^\d{6}$", r"\w+", r"[\W]", r"\\\d"])
def test_the_sweep_sees_a_unicode_class(pattern):
    assert UNICODE_CLASS.search(pattern)


@pytest.mark.parametrize("pattern", [r"^[0-9]{6}$", r"\\d", r"[A-Za-z_]+"])
def test_the_sweep_leaves_ascii_classes_alone(pattern):
    assert not UNICODE_CLASS.search(pattern)


FULL_WIDTH_ZERO, ARABIC_INDIC_ZERO = 0xFF10, 0x0660


def spell(text: str, zero: int) -> str:
    """`text` with its ASCII digits written in the digit system whose zero is `zero`."""
    return text.translate({ord("0") + n: zero + n for n in range(10)})


@pytest.mark.parametrize(
    "code",
    [
        spell("123456", FULL_WIDTH_ZERO),
        spell("123456", ARABIC_INDIC_ZERO),
        "12345" + spell("6", FULL_WIDTH_ZERO),
    ],
)
@pytest.mark.django_db
def test_an_email_code_in_other_digits_is_the_code_fields_own_400(anon_client, code):
    # when: an e-mail verification code written in full-width / Arabic-Indic digits
    response = anon_client.post(
        "/api/v1/auth/verify-email/",
        {"email": "ada@example.com", "code": code},
        format="json",
    )

    # then: refused by the field (as "12a456" is), never compared with a stored code
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [(e["attr"], e["code"]) for e in body["errors"]] == [("code", "invalid")]


@pytest.mark.parametrize(
    "number",
    [
        "+" + spell("12", FULL_WIDTH_ZERO),
        "-" + spell("1.5", FULL_WIDTH_ZERO),
        "+" + spell("3", ARABIC_INDIC_ZERO),
    ],
)
def test_a_csv_cell_of_other_digits_behind_a_formula_sign_is_quoted(number):
    assert safe_cell(number) == "'" + number


@pytest.mark.parametrize("number", ["-5.00", "+12", "-3"])
def test_a_csv_cell_of_ascii_digits_stays_a_number(number):
    assert safe_cell(number) == number
