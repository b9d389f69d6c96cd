"""Identifiers from the outside world (URLs, tokens, bodies): every id here is a UUID."""

from __future__ import annotations

import uuid
from typing import Any


def as_uuid(value: Any) -> uuid.UUID | None:
    """`value` as a UUID, or None when it is not one (a lookup by it then finds nothing).

    ASCII only: `uuid.UUID()` reads full-width or Arabic-Indic digits as the id their ASCII
    spelling names (lms.core.serializers, numbers and ids are ASCII)."""
    if isinstance(value, uuid.UUID):
        return value
    text = str(value)
    if not text.isascii():
        return None
    try:
        return uuid.UUID(text)
    except (TypeError, ValueError, AttributeError):
        return None
