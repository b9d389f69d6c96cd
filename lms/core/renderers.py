from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf_encoder = JSONEncoder()


def _default(value: Any) -> Any:
    # Money leaves as a decimal string, never a float.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):
        return str(value)
    return _drf_encoder.default(value)


def dumps(data: Any) -> bytes:
    """Encode with orjson; used by the renderer and by hot read paths that skip serializers."""
    return orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z)


class JSONRenderer(DRFJSONRenderer):
    """DRF's JSON renderer with orjson doing the encoding (UUIDs and datetimes natively)."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return dumps(data)
