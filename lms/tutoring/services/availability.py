"""Availability: one-off slots and weekly availability expanded into slots."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lms.accounts.models import User
from lms.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from lms.core.permissions import INSTRUCTOR, has_role

from .. import locks
from ..errors import TutoringError
from ..models import (
    ACTIVE_STATUSES,
    SLOT_EXCLUSION,
    AvailabilitySlot,
    Booking,
    WeeklyAvailability,
)
from ..timing import MAX_MINUTES, MIN_MINUTES, check_range, weekly_occurrences, zone


def tutor_timezone(tutor: User) -> str:
    """The tutor's IANA timezone (their instructor profile's; UTC without one)."""
    profile = getattr(tutor, "instructor_profile", None)
    return (profile.timezone if profile is not None else "") or "UTC"


def _check_tutor(user: User) -> None:
    if not has_role(user, INSTRUCTOR):
        raise PermissionDenied("Only tutors (instructors) publish availability.")


def _overlaps(tutor_id: Any, start: datetime, end: datetime) -> bool:
    return AvailabilitySlot.objects.filter(tutor_id=tutor_id, start__lt=end, end__gt=start).exists()


def _insert_slot(**fields: Any) -> AvailabilitySlot:
    """Insert under a savepoint; PostgreSQL's exclusion constraint answers 409 too."""
    try:
        with transaction.atomic():
            return AvailabilitySlot.objects.create(**fields)
    except IntegrityError as exc:
        if SLOT_EXCLUSION in str(exc):
            raise _overlap_conflict() from exc
        raise


def _overlap_conflict() -> Conflict:
    return Conflict("This time overlaps another slot of yours.", code=TutoringError.SLOT_OVERLAP)


@transaction.atomic
def create_slot(*, tutor: User, start: datetime, end: datetime) -> AvailabilitySlot:
    """A one-off slot [start, end) of `tutor`.

    400: naive times, end not after start, under 15 minutes or over 8 hours, in the past
    (lms.tutoring.timing.check_range); 409 `slot_overlap` when it overlaps another slot of the
    tutor (checked under the tutor's lock; PostgreSQL's exclusion constraint as well)."""
    _check_tutor(tutor)
    check_range(start, end, now=timezone.now())
    locks.lock_tutor(tutor.pk)
    if _overlaps(tutor.pk, start, end):
        raise _overlap_conflict()
    return _insert_slot(tutor=tutor, start=start, end=end)


@transaction.atomic
def delete_slot(*, tutor: User, slot_id: Any) -> None:
    """Delete one of `tutor`'s slots (404 for anybody else's) while no active booking holds
    any of its time (409 `slot_booked`). Locks: the tutor, overdue pending bookings (expired),
    then the slot `FOR UPDATE`, which waits for a booking being made inside it."""
    from .bookings import expire_stale_of_tutor

    locks.lock_tutor(tutor.pk)
    expire_stale_of_tutor(tutor.pk, now=timezone.now())
    # Bookings (3) before slots (4): a booking inside the slot holds it until it commits,
    # so the check below, a statement after the lock, sees it.
    found = locks.lock_slots_for_delete(AvailabilitySlot.objects.filter(pk=slot_id, tutor=tutor))
    if not found:
        raise NotFound("No such slot.")
    [slot] = found
    booked = Booking.objects.filter(
        tutor=tutor, status__in=ACTIVE_STATUSES, start__lt=slot.end, end__gt=slot.start
    ).exists()
    if booked:
        raise Conflict("This slot is booked.", code=TutoringError.SLOT_BOOKED)
    slot.delete()


def weekly_horizon_days() -> int:
    return int(getattr(settings, "TUTORING_WEEKLY_EXPANSION_DAYS", 56))


@transaction.atomic
def create_weekly(
    *,
    tutor: User,
    weekday: int,
    start_time: time,
    duration_minutes: int,
    starts_on: date | None = None,
    ends_on: date | None = None,
    timezone_name: str | None = None,
) -> tuple[WeeklyAvailability, int]:
    """ "Every `weekday` (0 Monday) at `start_time` for `duration_minutes`", local to the
    tutor's timezone (or `timezone_name`), expanded at once into slots for the next
    TUTORING_WEEKLY_EXPANSION_DAYS (56) days; a beat task keeps extending it. Occurrences that
    overlap an existing slot, are in the past, or fall on a local time a DST change skips are
    left out. Returns the rule and how many slots were made."""
    _check_tutor(tutor)
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        raise Invalid(
            f"A slot lasts {MIN_MINUTES} minutes to {MAX_MINUTES // 60} hours.",
            code=TutoringError.INVALID_DURATION,
        )
    if not 0 <= weekday <= 6:
        raise Invalid("weekday is 0 (Monday) to 6 (Sunday).", code="invalid_weekday")
    name = timezone_name or tutor_timezone(tutor)
    tz = zone(name)
    today = timezone.now().astimezone(tz).date()
    first = max(starts_on or today, today)
    if ends_on is not None and ends_on < first:
        raise Invalid("ends_on is before the first day.", code=TutoringError.INVALID_TIME_RANGE)
    locks.lock_tutor(tutor.pk)
    rule = WeeklyAvailability.objects.create(
        tutor=tutor,
        weekday=weekday,
        start_time=start_time,
        duration_minutes=duration_minutes,
        timezone=name,
        starts_on=first,
        ends_on=ends_on,
    )
    made = _expand(rule, until=today + timedelta(days=weekly_horizon_days()))
    return rule, made


def _expand(rule: WeeklyAvailability, *, until: date) -> int:
    """Slots of `rule` from its last expanded day to `until` (tutor locked by the caller)."""
    tz = zone(rule.timezone)
    first = rule.starts_on
    if rule.expanded_until is not None:
        first = max(first, rule.expanded_until + timedelta(days=1))
    last = min(until, rule.ends_on) if rule.ends_on else until
    if last < first:
        return 0
    now = timezone.now()
    occurrences = weekly_occurrences(
        weekday=rule.weekday,
        at=rule.start_time,
        minutes=rule.duration_minutes,
        tz=tz,
        first=first,
        last=last,
    )
    existing = list(
        AvailabilitySlot.objects.filter(
            tutor_id=rule.tutor_id,
            start__lt=occurrences[-1][1] if occurrences else now,
            end__gt=occurrences[0][0] if occurrences else now,
        ).values_list("start", "end")
    )
    made = 0
    for start, end in occurrences:
        if start <= now or any(s < end and e > start for s, e in existing):
            continue
        try:
            _insert_slot(tutor_id=rule.tutor_id, start=start, end=end, weekly=rule)
        except Conflict:
            continue
        existing.append((start, end))
        made += 1
    rule.expanded_until = last
    rule.save(update_fields=["expanded_until", "updated_at"])
    return made


def extend_weekly_availability(*, limit: int = 500) -> int:
    """Beat, daily: extend every weekly availability to the horizon, one tutor at a time (each
    in its own transaction under the tutor's lock). Returns how many slots were made."""
    made = 0
    rules = WeeklyAvailability.objects.order_by("tutor_id", "id").values_list(
        "pk", "tutor_id", "timezone"
    )[:limit]
    for rule_id, tutor_id, name in rules:
        until = timezone.now().astimezone(zone(name)).date() + timedelta(days=weekly_horizon_days())
        with transaction.atomic():
            locks.lock_tutor(tutor_id)
            rule = WeeklyAvailability.objects.filter(pk=rule_id).first()
            if rule is not None:
                made += _expand(rule, until=until)
    return made


@transaction.atomic
def delete_weekly(*, tutor: User, weekly_id: Any) -> int:
    """Stop a weekly availability of `tutor` (404 for anybody else's): the rule goes, and so do
    its future slots that nobody booked (booked ones stay). Returns how many slots went."""
    locks.lock_tutor(tutor.pk)
    rule = WeeklyAvailability.objects.filter(pk=weekly_id, tutor=tutor).first()
    if rule is None:
        raise NotFound("No such weekly availability.")
    now = timezone.now()
    # Its future slots locked before the bookings are read (as in delete_slot).
    slots = locks.lock_slots_for_delete(AvailabilitySlot.objects.filter(weekly=rule, start__gt=now))
    booked = [
        (start, end)
        for start, end in Booking.objects.filter(
            tutor=tutor, status__in=ACTIVE_STATUSES, end__gt=now
        ).values_list("start", "end")
    ]
    free = [s.pk for s in slots if not any(b < s.end and e > s.start for b, e in booked)]
    AvailabilitySlot.objects.filter(pk__in=free).delete()
    rule.delete()
    return len(free)


@transaction.atomic
def update_settings(*, tutor: User, **fields: int) -> Any:
    """Set the tutor's `buffer_minutes` and/or `min_notice_minutes` under the tutor's lock,
    writing only those columns (the rating beside them is kept by testimonials). The buffer
    applies to bookings made from now on."""
    _check_tutor(tutor)
    row = locks.lock_tutor(tutor.pk)
    changed = [name for name in ("buffer_minutes", "min_notice_minutes") if name in fields]
    for name in changed:
        setattr(row, name, fields[name])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    return row
