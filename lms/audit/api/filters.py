"""The audit log API's filters. Instants are bounded: a datetime the database cannot hold,
or that overflows once converted to UTC (`0001-01-01T00:00:00+14:00`), is a 400
`out_of_range`, never a 500 from the database adapter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from lms.audit.models import AuditLog

# The instants a filter may name, in UTC: far from both ends of the calendar, so no
# conversion between zones overflows (Python's datetime and SQLite's adapter stop at
# years 1 and 9999).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class BoundedIsoDateTimeField(IsoDateTimeField):
    default_error_messages = {
        "out_of_range": "Choose an instant from 1970-01-01T00:00:00Z to 9999-01-01T00:00:00Z."
    }

    def to_python(self, value: Any) -> datetime | None:
        try:
            parsed: datetime | None = super().to_python(value)
        except OverflowError:
            parsed = None
            out = True
        else:
            out = False
        if parsed is not None:
            try:
                out = not EARLIEST <= parsed.astimezone(UTC) < LATEST
            except OverflowError:
                out = True
        if out:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return parsed


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class AuditLogFilter(django_filters.FilterSet):
    actor = django_filters.UUIDFilter(field_name="actor_id")
    action = django_filters.CharFilter()
    target_type = django_filters.CharFilter()
    target_id = django_filters.CharFilter()
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditLog
        fields = ["actor", "action", "target_type", "target_id"]
