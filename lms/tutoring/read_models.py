"""Read models of tutoring: what the selectors return when the shape is not a model's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class TutorCard:
    """A tutor in search results. `rating` is the exact mean of testimonial ratings rounded
    half up to 2 decimals (None without any)."""

    id: uuid.UUID
    name: str
    avatar: str | None  # the stored name; the serializer makes the URL
    headline: str
    skills: list[str]
    languages: list[str]
    hourly_rate: Decimal
    currency: str
    timezone: str
    rating: Decimal | None
    testimonial_count: int


@dataclass(frozen=True, slots=True)
class FreeWindow:
    """Free time of a tutor inside one slot, in UTC, with the same instants in the viewer's
    and in the tutor's timezone."""

    slot_id: Any
    start: datetime
    end: datetime
    timezone: str  # the viewer's
    start_local: datetime
    end_local: datetime
    tutor_timezone: str
    tutor_start_local: datetime
    tutor_end_local: datetime


@dataclass(frozen=True, slots=True)
class TutorDetail:
    card: TutorCard
    bio: str
    buffer_minutes: int
    min_notice_minutes: int
    free_slots: list[FreeWindow]
