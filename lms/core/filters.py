"""django-filter filters that read a query as the OpenAPI document describes it.

`BooleanFilter`: `?unread=true` / `?unread=false` (any case); empty is no filter
(`allowEmptyValue`, lms.core.schema); anything else (`1`, `yes`, `-5`) is 400
`validation_error` `invalid` on the parameter, where django-filter's own `BooleanFilter`
reads it silently as no filter. The JSON and form fields of serializers follow the same rule
(lms.core.serializers, strict types).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms


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
