"""Checks that an app's typed read models and their one output serializer agree (issue 9,
"Typed read models"; the pattern of lms/commerce/tests/test_read_models.py), shared by the
apps' `test_read_models.py`:

- `assert_renders_exactly`: every field of the read model is read by the serializer, or is
  named as not rendered with the reason; the serializer reads nothing the model lacks;
- `assert_documented_as_rendered`: the keys a rendering has are the properties of the
  component drf-spectacular emits for that serializer;
- `assert_fast_rendering_is_the_serializers`: where a hot path renders the read model with
  `lms.core.rendering.render` (orjson, no DRF), the bytes equal DRF's rendering, and the plan
  is really compiled (else `render` silently falls back and the check proves nothing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lms.core.renderers import dumps
from lms.core.rendering import compiled_plan, render
from lms.core.serializers import AmountField


def source_roots(serializer: Any) -> set[str]:
    """The first attribute each field of `serializer` reads ("*": the whole instance), with
    the currency an amount field reads beside its value."""
    roots = set()
    for field in serializer.fields.values():
        roots.add(field.source.split(".")[0])
        if isinstance(field, AmountField):
            roots.add(field.currency_source)
        zone = getattr(field, "zone_source", None)  # tutoring's LocalTimeField
        if zone:
            roots.add(zone)
    return roots


def names_of(model: type) -> set[str]:
    """The read model's fields and its properties (what a serializer may read)."""
    properties = {name for name, value in vars(model).items() if isinstance(value, property)}
    return {field.name for field in dataclasses.fields(model)} | properties


def assert_renders_exactly(
    model: type, serializer_class: type, not_rendered: Mapping[str, str] | None = None
) -> None:
    """`serializer_class` renders every field of `model` except `not_rendered` (name ->
    why), and reads nothing `model` does not have."""
    fields = {field.name for field in dataclasses.fields(model)}
    read = source_roots(serializer_class()) - {"*"}
    unread = fields - read
    assert unread == set(not_rendered or {}), (
        f"{model.__name__}: fields {sorted(unread)} are not rendered by "
        f"{serializer_class.__name__} (render them, or name them as internal with a reason)"
    )
    missing = read - names_of(model)
    assert missing == set(), f"{serializer_class.__name__} reads {sorted(missing)}: not in model"


def component_of(document: Mapping[str, Any], serializer_class: type) -> Mapping[str, Any]:
    """The schema drf-spectacular emits for `serializer_class` (named after the class)."""
    name = serializer_class.__name__.removesuffix("Serializer")
    schemas = document["components"]["schemas"]
    assert name in schemas, f"no component {name} for {serializer_class.__name__}"
    return schemas[name]  # type: ignore[no-any-return]


def assert_documented_as_rendered(
    document: Mapping[str, Any],
    serializer_class: type,
    rendered: Mapping[str, Any],
    *,
    all_required: bool = True,
) -> None:
    """A rendering has exactly the documented properties, every one required (a read
    model's fields are always present, null where it has none). `all_required=False` for a
    ModelSerializer, which drf-spectacular documents with a model field that has a default
    or may be blank as optional although the answer always carries it."""
    component = component_of(document, serializer_class)
    properties = set(component["properties"])
    assert set(rendered) == properties, (serializer_class.__name__, set(rendered) ^ properties)
    if all_required:
        required = set(component.get("required", []))
        assert required == properties, (serializer_class.__name__, properties - required)


def assert_fast_rendering_is_the_serializers(
    serializer_class: Any, instance: Any, *, context: Mapping[str, Any] | None = None
) -> None:
    """`render` (the compiled plan) gives DRF's rendering of `instance`, byte for byte."""
    assert compiled_plan(serializer_class) is not None, f"{serializer_class.__name__} falls back"
    context = dict(context or {})
    fast = dumps(render(serializer_class, instance, context=context))
    assert fast == dumps(serializer_class(instance, context=context).data)


def assert_documented_throughout(
    document: Mapping[str, Any], serializer_class: type, rendered: Mapping[str, Any]
) -> int:
    """`assert_documented_as_rendered` for the answer and every nested object in it (each
    against its own serializer's component). Returns how many objects were checked."""
    from rest_framework import serializers

    assert_documented_as_rendered(document, serializer_class, rendered)
    checked = 1
    for name, field in serializer_class().fields.items():
        value = rendered[name]
        if value is None:
            continue
        if isinstance(field, serializers.ListSerializer):
            for item in value:
                checked += assert_documented_throughout(document, type(field.child), item)
        elif isinstance(field, serializers.Serializer):
            checked += assert_documented_throughout(document, type(field), value)
    return checked
