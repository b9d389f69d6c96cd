"""Every object a response documents has a shape (issue 9, item 2: one output serializer per
shape, the one the schema documents; never a hand-built dict the document calls `object`).

An untyped property is one the OpenAPI document leaves open: `{}` (any value), or
`{"type": "object"}` without `properties` and with an open `additionalProperties` (what
drf-spectacular writes for a `DictField`, a `JSONField` or a `SerializerMethodField` that
returns a dict). Only the free-form maps below may be untyped; any other is a shape written
outside its serializer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

# "<Component>.<property>" (`[]` for an array's items) -> why it stays free-form
ALLOWED_UNTYPED = {
    "AuditLog.data": "the action's own detail: its keys depend on the audit action",
    "Notification.data": "the event's payload for the client: its keys depend on the event",
    "Withdrawal.details": "the payout method's details: keys per method (docs/payouts.md)",
}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[-1]
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _response_components(document: dict[str, Any]) -> set[str]:
    """The components a response uses, directly or through another component."""
    components = document["components"]["schemas"]
    pending = [
        name
        for operations in document["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
        for name in _refs(response)
    ]
    found: set[str] = set()
    while pending:
        name = pending.pop()
        if name in found or name not in components:
            continue
        found.add(name)
        pending.extend(_refs(components[name]))
    return found


def _is_untyped(schema: dict[str, Any]) -> bool:
    if not any(key in schema for key in ("type", "$ref", "allOf", "oneOf", "anyOf", "enum")):
        return True
    return (
        schema.get("type") == "object"
        and not schema.get("properties")
        and schema.get("additionalProperties", True) in ({}, True)
    )


def _untyped(schema: Any, where: str) -> Iterator[str]:
    """`where.<property>` for each untyped property under `schema`, nested objects and
    array items (`[]`) included."""
    if not isinstance(schema, dict):
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            yield from _untyped(part, where)
    if "items" in schema:
        items = schema["items"]
        if isinstance(items, dict) and _is_untyped(items):
            yield f"{where}[]"
        yield from _untyped(items, f"{where}[]")
    for name, value in (schema.get("properties") or {}).items():
        if isinstance(value, dict) and _is_untyped(value):
            yield f"{where}.{name}"
        yield from _untyped(value, f"{where}.{name}")


def _untyped_in_responses(document: dict[str, Any]) -> set[str]:
    components = document["components"]["schemas"]
    return {
        found
        for name in _response_components(document)
        for found in _untyped(components[name], name)
    }


def test_every_object_in_a_response_is_typed_but_the_free_form_maps(document):
    # when
    untyped = _untyped_in_responses(document)

    # then no shape is left as a bare object, and the allow-list names only what is there
    assert untyped - set(ALLOWED_UNTYPED) == set(), "type these with their serializer"
    assert set(ALLOWED_UNTYPED) - untyped == set(), "typed now: remove from ALLOWED_UNTYPED"


def test_the_check_finds_a_hand_built_dict_in_a_response(document):
    # given: a component with a method field returning a dict, as the wishlist's course was
    component = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "course": {"type": "object", "additionalProperties": {}, "readOnly": True},
            "tags": {"type": "array", "items": {"type": "object", "additionalProperties": {}}},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "extra": {},
        },
    }

    # when
    found = set(_untyped(component, "Probe"))

    # then
    assert found == {"Probe.course", "Probe.tags[]", "Probe.extra"}


@pytest.mark.parametrize(
    ("component", "field", "shape"),
    [
        ("WishlistItem", "course", "WishlistCourse"),
        ("Certificate", "course", "CertificateCourse"),
        ("CourseStudent", "student", "StudentRef"),
        ("RecommendedCourse", "instructor", "PersonRef"),
        ("Order", "billing_address", "OrderBillingAddress"),
    ],
)
def test_the_nested_shapes_are_their_serializers_components(document, component, field, shape):
    # when
    schema = document["components"]["schemas"][component]["properties"][field]

    # then
    assert set(_refs(schema)) == {shape}
