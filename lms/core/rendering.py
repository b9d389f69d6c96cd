"""Render read models through their one output serializer, fast.

A list of twenty courses spends more CPU in DRF's per-field machinery (`get_attribute`,
`to_representation`, `SkipField` checks, one dict per nested object) than in its three
queries. `render(SerializerClass, instance, context=..., many=True)` gives the same answer
from a plan compiled once per serializer class out of that serializer's own declared
fields, so the shape is still written once, in the serializer that drf-spectacular
documents; nothing here knows a field name.

The plan reads each field's value by its `source` and converts it as the field would:

- plain fields (`CharField`, `UUIDField`, `IntegerField`, `FloatField`, `BooleanField`,
  `ChoiceField`, `DateTimeField` while `TIME_ZONE` is UTC) keep the value orjson encodes
  exactly as DRF renders it (UUIDs hex with dashes, datetimes ISO 8601 with `Z`);
- nested serializers (one or `many=True`) recurse into their own plan;
- a field class with a `fast_representation(instance, value, context)` method (the money
  and file-link fields of `lms.core.serializers`) renders itself from the instance;
- anything else (a `SerializerMethodField`, a serializer with its own `to_representation`)
  makes the whole class fall back to DRF: correctness first, speed where it is proven.

`lms/core/tests/test_rendering.py` holds the two renderings equal, byte for byte once
encoded, and each app that renders a hot list this way keeps a parity test of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from rest_framework import ISO_8601, serializers
from rest_framework import fields as drf_fields

Context = Mapping[str, Any]
Converter = Callable[[Any, Any, Context], Any]  # (value, instance, context) -> JSON value
Reader = Callable[[Any], Any]  # instance -> the value at the field's source
Plan = tuple[tuple[str, Reader, Converter], ...]

# Field types whose DRF representation orjson reproduces from the raw value.
_RAW_TYPES: tuple[type[drf_fields.Field[Any, Any, Any, Any]], ...] = (
    drf_fields.UUIDField,
    drf_fields.ChoiceField,
)


def render(
    serializer_class: type[serializers.BaseSerializer[Any]],
    instance: Any,
    *,
    context: Context | None = None,
    many: bool = False,
) -> Any:
    """`serializer_class(instance, many=many, context=context).data`, as JSON-ready values
    (UUIDs and datetimes left for orjson), from the class's compiled plan when it has one."""
    context = context or {}
    plan = compiled_plan(serializer_class)
    if plan is None:
        return serializer_class(instance, many=many, context=context).data
    if many:
        return [_apply(plan, item, context) for item in instance]
    return _apply(plan, instance, context)


_plans: dict[type[Any], Plan | None] = {}


def compiled_plan(serializer_class: type[Any]) -> Plan | None:
    """The class's plan, or None when one of its fields (or its own `to_representation`)
    needs DRF's full machinery. Compiled once per class and process (a dict write is atomic:
    two threads compiling the same class at once store equal plans)."""
    if serializer_class not in _plans:
        _plans[serializer_class] = _compile(serializer_class)
    return _plans[serializer_class]


def _compile(serializer_class: type[Any]) -> Plan | None:
    if not issubclass(serializer_class, serializers.Serializer):
        return None
    if serializer_class.to_representation is not serializers.Serializer.to_representation:
        return None
    entries = []
    for name, field in serializer_class().fields.items():
        if field.write_only:
            continue
        converter = _converter(field)
        if converter is None:
            return None
        source = tuple((field.source or name).split(".")) if field.source != "*" else ()
        entries.append((name, _reader(source), converter))
    return tuple(entries)


def _apply(plan: Plan, instance: Any, context: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, read, convert in plan:
        value = read(instance)
        out[name] = None if value is None else convert(value, instance, context)
    return out


def _reader(source: tuple[str, ...]) -> Reader:
    """Reads `source` as DRF's `get_attribute` does: keys of a mapping, attributes of
    anything else, None anywhere on the way is None. A one-step source (every field of the
    read models) is read without the loop, the mapping check memoised per type."""
    if not source:
        return _itself
    if len(source) > 1:
        return lambda instance: _read(instance, source)
    attr = source[0]

    def read(instance: Any) -> Any:
        kind = type(instance)
        mapping = _mapping_types.get(kind)
        if mapping is None:
            mapping = _mapping_types[kind] = issubclass(kind, Mapping)
        return instance[attr] if mapping else getattr(instance, attr)

    return read


# type -> whether it is a Mapping (an ABC check per field read is a fifth of the rendering)
_mapping_types: dict[type, bool] = {}


def _itself(instance: Any) -> Any:
    return instance


def _read(instance: Any, source: tuple[str, ...]) -> Any:
    value = instance
    for attr in source:
        if value is None:
            return None
        value = value[attr] if isinstance(value, Mapping) else getattr(value, attr)
    return value


def _converter(field: drf_fields.Field[Any, Any, Any, Any]) -> Converter | None:
    fast = getattr(field, "fast_representation", None)
    if fast is not None:
        return lambda value, instance, context: fast(instance, value, context)
    if isinstance(field, serializers.ListSerializer):
        child = compiled_plan(type(field.child))
        if child is None:
            return None
        return lambda value, instance, context: [_apply(child, item, context) for item in value]
    if isinstance(field, serializers.Serializer):
        nested = compiled_plan(type(field))
        if nested is None:
            return None
        return lambda value, instance, context: _apply(nested, value, context)
    kind = type(field)
    if kind in (drf_fields.CharField,):
        return _as_str
    if kind in _RAW_TYPES:
        return _as_is
    if kind is drf_fields.IntegerField:
        return lambda value, instance, context: int(value)
    if kind is drf_fields.FloatField:
        return lambda value, instance, context: float(value)
    if kind is drf_fields.BooleanField:
        return _as_bool(field)
    if kind is drf_fields.DateTimeField and _renders_as_orjson(field):
        return _as_utc_datetime(field)
    return None


def _as_is(value: Any, instance: Any, context: Context) -> Any:
    return value


def _as_str(value: Any, instance: Any, context: Context) -> str:
    return value if type(value) is str else str(value)


def _as_bool(field: drf_fields.Field[Any, Any, Any, Any]) -> Converter:
    def convert(value: Any, instance: Any, context: Context) -> Any:
        return value if type(value) is bool else field.to_representation(value)

    return convert


def _as_utc_datetime(field: drf_fields.Field[Any, Any, Any, Any]) -> Converter:
    def convert(value: Any, instance: Any, context: Context) -> Any:
        offset = value.utcoffset() if hasattr(value, "utcoffset") else None
        return value if offset is not None and not offset else field.to_representation(value)

    return convert


def _renders_as_orjson(field: drf_fields.Field[Any, Any, Any, Any]) -> bool:
    """DRF renders an aware datetime in the current time zone as ISO 8601 with `Z` for UTC,
    which is orjson's `OPT_UTC_Z` encoding while the zone is UTC and no format is set."""
    output_format = getattr(field, "format", drf_fields.empty)
    default_format = settings.REST_FRAMEWORK.get("DATETIME_FORMAT", ISO_8601)
    if output_format is drf_fields.empty:
        output_format = default_format
    timezone = getattr(field, "timezone", None)
    return output_format == ISO_8601 and timezone is None and settings.TIME_ZONE == "UTC"
