"""The time axis of every analytics series: a range of local dates cut into periods.

`?from=YYYY-MM-DD&to=YYYY-MM-DD&granularity=day|week|month` are read in the user's own
timezone (their profile's, UTC without one). The range is widened to whole periods: `from`
moves back to the first day of its week (Monday) or month, so no period is counted in part.
Every period of the range has a label, in order, whether or not anything happened in it
(`fill` puts zeros where the database had no row).

Labels: `2026-12-01` (a day, or the Monday that starts a week), `2026-12` (a month).
"""

from __future__ import annotations

import bisect
import functools
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import DateTimeField, Expression, F, Func, IntegerField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Trunc

DAY, WEEK, MONTH = "day", "week", "month"
GRANULARITIES = (DAY, WEEK, MONTH)
# At most this many periods in one series (two years of days).
MAX_PERIODS = 731
# Without `from`: this many periods back from `to` (inclusive of `to`'s period).
DEFAULT_PERIODS = {DAY: 30, WEEK: 12, MONTH: 12}
# The days a range may name (`out_of_range` outside): from EARLIEST to today + LATEST_AHEAD,
# so every period's edges stay far from the calendar's ends (year 1, year 9999).
EARLIEST = date(1970, 1, 1)
LATEST_AHEAD = timedelta(days=366)


def zone_of(*names: str | None) -> zoneinfo.ZoneInfo:
    """The first valid IANA zone among `names`, else UTC."""
    for name in names:
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def period_start(day: date, granularity: str) -> date:
    if granularity == WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == MONTH:
        return day.replace(day=1)
    return day


def next_period(start: date, granularity: str) -> date:
    if granularity == WEEK:
        return start + timedelta(days=7)
    if granularity == MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def _months_back(start: date, count: int) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 - count, 12)
    return date(year, month + 1, 1)


@functools.lru_cache(maxsize=64)
def _starts(first: date, last: date, granularity: str) -> tuple[date, ...]:
    """The first day of every period from `first` to `last`; computed once per range (a
    series looks a period up for every grouped row)."""
    out, current = [], first
    while current <= last:
        out.append(current)
        current = next_period(current, granularity)
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _boundaries(
    first: date, last: date, granularity: str, tz: zoneinfo.ZoneInfo
) -> tuple[datetime, ...]:
    """Every period's first instant (local midnight), aware; computed once per range."""
    return tuple(
        datetime.combine(start, time.min, tzinfo=tz) for start in _starts(first, last, granularity)
    )


@functools.lru_cache(maxsize=64)
def _utc_boundaries(
    first: date, last: date, granularity: str, tz: zoneinfo.ZoneInfo
) -> tuple[datetime, ...]:
    """`_boundaries` as naive UTC datetimes: the same order, compared without a timezone
    conversion on each side (a bisect over aware instants in another zone costs one per
    comparison)."""
    return tuple(
        instant.astimezone(UTC).replace(tzinfo=None)
        for instant in _boundaries(first, last, granularity, tz)
    )


@functools.lru_cache(maxsize=64)
def _instants_literal(first: date, last: date, granularity: str, tz: zoneinfo.ZoneInfo) -> str:
    """Every period's first instant as one PostgreSQL array literal, `{"2026-11-01T00:00:00
    +01:00",...}`: sent as a single text parameter and cast in SQL, instead of one
    timestamp parameter per period for psycopg to adapt in every series query."""
    instants = _boundaries(first, last, granularity, tz)
    return "{" + ",".join(f'"{instant.isoformat()}"' for instant in instants) + "}"


@dataclass(frozen=True, slots=True)
class Periods:
    """A range of whole periods in one timezone: `[first, end)` in local dates."""

    first: date  # the first day of the first period
    last: date  # the first day of the last period
    granularity: str
    tz: zoneinfo.ZoneInfo

    @classmethod
    def build(
        cls,
        *,
        tz: zoneinfo.ZoneInfo,
        granularity: str,
        start: date | None = None,
        end: date | None = None,
        today: date | None = None,
    ) -> Periods:
        """The periods from `start` to `end` (local dates, both included); without `end`
        today in `tz`, without `start` DEFAULT_PERIODS back. The caller has validated
        `start <= end` and the length (`count_between`)."""
        end = end or today or datetime.now(tz).date()
        last = period_start(end, granularity)
        if start is None:
            back = DEFAULT_PERIODS[granularity] - 1
            if granularity == MONTH:
                first = _months_back(last, back)
            else:
                step = 7 if granularity == WEEK else 1
                first = last - timedelta(days=back * step)
        else:
            first = period_start(start, granularity)
        return cls(first=first, last=last, granularity=granularity, tz=tz)

    @property
    def end(self) -> date:
        """The first local day after the range."""
        return next_period(self.last, self.granularity)

    def starts(self) -> list[date]:
        return list(_starts(self.first, self.last, self.granularity))

    def labels(self) -> list[str]:
        if self.granularity == MONTH:
            return [start.strftime("%Y-%m") for start in self.starts()]
        return [start.isoformat() for start in self.starts()]

    # --- in the database -------------------------------------------------------------------

    def since(self) -> datetime:
        """The range's first instant (local midnight of `first`), aware."""
        return datetime.combine(self.first, time.min, tzinfo=self.tz)

    def until(self) -> datetime:
        """The instant after the range (local midnight of `end`), aware."""
        return datetime.combine(self.end, time.min, tzinfo=self.tz)

    def within(self, field: str) -> dict[str, datetime]:
        """Filter keywords keeping `field` inside the range."""
        return {f"{field}__gte": self.since(), f"{field}__lt": self.until()}

    def boundaries(self) -> list[datetime]:
        """The instant each period starts (local midnight of its first day), aware."""
        return list(_boundaries(self.first, self.last, self.granularity, self.tz))

    def start_of(self, moment: datetime) -> date | None:
        """The first day of the period that holds `moment` (aware), None outside the range:
        for a few hundred grouped rows, cheaper in Python than a cast per row in SQL."""
        if not self.since() <= moment < self.until():
            return None
        instants = _utc_boundaries(self.first, self.last, self.granularity, self.tz)
        index = bisect.bisect_right(instants, moment.astimezone(UTC).replace(tzinfo=None)) - 1
        return _starts(self.first, self.last, self.granularity)[index]

    def edge_days(self) -> set[date]:
        """The UTC days that a period's edge cuts: each local midnight (the periods' first
        instants and the range's end) that is not also a UTC midnight falls inside one."""
        edges = [*self.boundaries(), self.until()]
        return {
            moment.astimezone(UTC).date()
            for moment in edges
            if moment.astimezone(UTC).timetz().replace(tzinfo=None) != time.min
        }

    def trunc(self, field: str | Expression, *, inline: bool = False) -> Expression:
        """`field`'s period: on PostgreSQL its position among the periods' first instants
        (`width_bucket(field, ARRAY[...])`, 1 for the first period: a binary search per row
        instead of a timezone conversion and a date_trunc, about twice as fast over 100,000
        rows; `key` turns it back into the period's first day); on SQLite Django's Trunc in
        the range's timezone. Use it with `within(field)`: rows outside the range would be
        counted in the first or last period. `inline`: the instants written into the query's
        text instead of sent as a parameter (`selectors._inline`)."""
        if connection.vendor == "postgresql":
            literal = _instants_literal(self.first, self.last, self.granularity, self.tz)
            starts: Expression
            if inline:  # isoformat instants built here from dates: no input reaches the text
                text = f"'{literal}'::timestamptz[]"
                starts = RawSQL(text, (), ArrayField(DateTimeField()))  # noqa: S611
            else:
                starts = Cast(Value(literal), output_field=ArrayField(DateTimeField()))
            value = F(field) if isinstance(field, str) else field
            return Func(value, starts, function="width_bucket", output_field=IntegerField())
        return Trunc(field, self.granularity, output_field=DateTimeField(), tzinfo=self.tz)

    def key(self, value: datetime | date | int | None) -> date | None:
        """A `trunc` value from the database as the local date that starts its period."""
        if value is None:
            return None
        if isinstance(value, int):
            starts = _starts(self.first, self.last, self.granularity)
            return starts[min(max(value, 1), len(starts)) - 1]
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(self.tz)
            return value.date()
        return value

    def fill(self, rows: Mapping[Any, Any], zero: Any = 0) -> list[Any]:
        """One value per period, in order, `zero` where `rows` has none."""
        return [rows.get(start, zero) for start in self.starts()]


def count_between(start: date, end: date, granularity: str) -> int:
    """How many periods `[start, end]` covers."""
    first, last = period_start(start, granularity), period_start(end, granularity)
    if granularity == MONTH:
        return (last.year - first.year) * 12 + last.month - first.month + 1
    step = 7 if granularity == WEEK else 1
    return (last - first).days // step + 1
