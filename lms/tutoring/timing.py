"""Time rules of tutoring: valid ranges, timezones, weekly expansion, free windows.

Every time is timezone-aware and compared in UTC; a tutor's local time is used only to expand
"every Monday 18:00" (so a daylight-saving change keeps 18:00 local, and moves the UTC time)
and to show local times beside UTC ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from lms.core.errors import Invalid

from .errors import TutoringError

MIN_MINUTES = 15
MAX_MINUTES = 8 * 60


def horizon_days() -> int:
    """How many days ahead a lesson may start (BOOKING_HORIZON_DAYS, default
    REFUND_WINDOW_DAYS): booking refuses later starts, and free time is cut there."""
    return int(getattr(settings, "BOOKING_HORIZON_DAYS", settings.REFUND_WINDOW_DAYS))


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; 400 `invalid_timezone` for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"Unknown timezone {name!r}.", code=TutoringError.INVALID_TIMEZONE) from exc


def check_aware(value: datetime, field: str = "start") -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(
            f"{field} needs a UTC offset (e.g. 2026-03-02T18:00:00+01:00).",
            code=TutoringError.NAIVE_DATETIME,
        )


def check_range(start: datetime, end: datetime, *, now: datetime) -> None:
    """400 unless [start, end) is aware, ends after it starts, lasts 15 minutes to 8 hours and
    starts in the future (codes `naive_datetime`, `invalid_time_range`, `invalid_duration`,
    `time_in_past`)."""
    check_aware(start, "start")
    check_aware(end, "end")
    if end <= start:
        raise Invalid("The end must be after the start.", code=TutoringError.INVALID_TIME_RANGE)
    minutes = (end - start) / timedelta(minutes=1)
    if minutes < MIN_MINUTES or minutes > MAX_MINUTES:
        raise Invalid(
            f"A stretch of time lasts {MIN_MINUTES} minutes to {MAX_MINUTES // 60} hours.",
            code=TutoringError.INVALID_DURATION,
        )
    if start <= now:
        raise Invalid("The start must be in the future.", code=TutoringError.TIME_IN_PAST)


def local_wall_time(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """`day` at wall-clock `at` in `tz`, as an aware UTC datetime; None when that local time
    does not exist (skipped by a spring-forward change). An ambiguous time (the repeated hour
    of a fall-back change) is its first occurrence."""
    local = datetime.combine(day, at).replace(tzinfo=tz, fold=0)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


def weekly_occurrences(
    *,
    weekday: int,
    at: time,
    minutes: int,
    tz: ZoneInfo,
    first: date,
    last: date,
) -> list[tuple[datetime, datetime]]:
    """Every `weekday` (0 Monday) between local dates `first` and `last` inclusive, at local
    `at`, lasting `minutes`: (start, end) in UTC. A local time a DST change skips is left out."""
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    found = []
    while day <= last:
        start = local_wall_time(day, at, tz)
        if start is not None:
            found.append((start, start + timedelta(minutes=minutes)))
        day += timedelta(days=7)
    return found


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where local `day` in `tz` begins and ends (23 or 25 hours at DST)."""
    start = datetime.combine(day, time()).replace(tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time()).replace(tzinfo=tz).astimezone(UTC)
    return start, end


@dataclass(frozen=True, slots=True)
class Window:
    """A free stretch of a tutor's time inside one availability slot, in UTC."""

    slot_id: object
    tutor_id: object
    start: datetime
    end: datetime


def free_windows(
    slots: Iterable[tuple[object, object, datetime, datetime]],
    taken: Sequence[tuple[object, datetime, datetime]],
    *,
    not_before: datetime,
    min_minutes: int = MIN_MINUTES,
) -> list[Window]:
    """Each slot (id, tutor id, start, end) minus the taken ranges (tutor id, start, end) of
    the same tutor, cut at `not_before`; windows shorter than `min_minutes` are dropped."""
    by_tutor: dict[object, list[tuple[datetime, datetime]]] = {}
    for tutor_id, start, end in taken:
        by_tutor.setdefault(tutor_id, []).append((start, end))
    for ranges in by_tutor.values():
        ranges.sort()
    shortest = timedelta(minutes=min_minutes)
    windows = []
    for slot_id, tutor_id, slot_start, slot_end in slots:
        cursor = max(slot_start, not_before)
        for start, end in by_tutor.get(tutor_id, ()):
            if end <= cursor or start >= slot_end:
                continue
            if start - cursor >= shortest:
                windows.append(Window(slot_id, tutor_id, cursor, start))
            cursor = max(cursor, end)
        if slot_end - cursor >= shortest:
            windows.append(Window(slot_id, tutor_id, cursor, slot_end))
    return windows
