"""Reads of tutoring: tutors, free time, slots, bookings, testimonials.

Every read runs a fixed number of queries (asserted in the tests): tutor search two (the
count and the page of profiles; `available_on` is decided by the database inside both,
`has_free_window`), a tutor's free time two (slots, bookings), booking lists one plus the
count.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import BooleanField, Exists, Expression, F, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from lms.accounts.models import InstructorProfile, User
from lms.core.errors import NotFound
from lms.core.permissions import ADMIN, INSTRUCTOR, has_role

from .models import (
    ACTIVE_STATUSES,
    SHARED_STATUSES,
    AvailabilitySlot,
    Booking,
    Testimonial,
    TutorSettings,
    WeeklyAvailability,
)
from .read_models import FreeWindow, TutorCard, TutorDetail
from .timing import MIN_MINUTES, day_bounds, free_windows, horizon_days, zone


def have_booking(student_id: Any, tutor_id: Any) -> bool:
    """Whether `student_id` has booked `tutor_id` and the booking is paid, confirmed or
    completed (what lets the two message each other). One query."""
    return Booking.objects.filter(
        student_id=student_id, tutor_id=tutor_id, status__in=SHARED_STATUSES
    ).exists()


# --- tutors ----------------------------------------------------------------------------------


def exact_rating(rating_sum: int | None, rating_count: int | None) -> Decimal | None:
    """The mean rating, exact, rounded half up to 2 decimals; None without ratings."""
    if not rating_count:
        return None
    return (Decimal(rating_sum or 0) / Decimal(rating_count)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _json_element(value: str) -> str:
    """How `value` appears as an element of a JSON list column on this database (PostgreSQL
    prints jsonb as UTF-8, SQLite keeps Django's ASCII-escaped text)."""
    return json.dumps(value.strip(), ensure_ascii=connection.vendor != "postgresql")


def tutor_profiles() -> QuerySet[InstructorProfile]:
    """Instructors who take bookings (an hourly rate above zero), with their user and their
    tutoring settings (rating) in the same query."""
    return (
        InstructorProfile.objects.filter(
            user__role=INSTRUCTOR, user__is_active=True, hourly_rate__gt=0
        )
        .select_related("user", "user__tutoring_settings")
        .order_by("-created_at", "id")
    )


# What `tutor_card` reads: the search loads only these columns of its three tables.
CARD_FIELDS = (
    "user_id", "headline", "skills", "languages", "hourly_rate", "currency", "timezone",
    "user__id", "user__first_name", "user__last_name", "user__email", "user__avatar",
    "user__tutoring_settings__id", "user__tutoring_settings__rating_sum",
    "user__tutoring_settings__rating_count",
)  # fmt: skip


def search_tutors(
    *,
    skill: str | None = None,
    language: str | None = None,
    price_max: Decimal | None = None,
    rating_min: Decimal | None = None,
    available_on: date | None = None,
    viewer_tz: ZoneInfo | None = None,
) -> QuerySet[InstructorProfile]:
    """Tutors by skill and language (an element of their lists, case-insensitive), hourly rate
    at most `price_max` (in the tutor's own currency), exact mean rating at least
    `rating_min` (sum ≥ count x min, no float), and with at least one free window of 15
    minutes or more on local day `available_on` in `viewer_tz`."""
    profiles = tutor_profiles().only(*CARD_FIELDS)
    if skill:
        profiles = profiles.alias(skills_text=Cast("skills", TextField())).filter(
            skills_text__icontains=_json_element(skill)
        )
    if language:
        profiles = profiles.alias(languages_text=Cast("languages", TextField())).filter(
            languages_text__icontains=_json_element(language)
        )
    if price_max is not None:
        profiles = profiles.filter(hourly_rate__lte=price_max)
    if rating_min is not None and rating_min > 0:
        profiles = profiles.filter(
            user__tutoring_settings__rating_count__gt=0,
            user__tutoring_settings__rating_sum__gte=F("user__tutoring_settings__rating_count")
            * rating_min,
        )
    if available_on is not None:
        start, end = day_bounds(available_on, viewer_tz or ZoneInfo("UTC"))
        profiles = profiles.filter(has_free_window(start=start, end=end, tutor=F("user_id")))
    return profiles


# `has_free_window`'s SQL. A free stretch begins at the cut slot's start ({ws}: the latest of
# the slot's start, :lo and :now plus the tutor's minimum notice, read from their settings
# row `ts` when they have one) or at the end of a booking inside the cut slot, whose end is
# LEAST(s.end, :hi) (:hi is already cut at the booking horizon). {plus_ws} and {plus_e} are
# those points plus 15 minutes; {active_*} an active booking of the slot's tutor; each
# {*_overlaps*} repeats the overlap test just before it as the exclusion constraint's `&&` on
# PostgreSQL (its GiST index finds the rows) and is empty on SQLite.
_FREE_WINDOW_SQL = """EXISTS (
  SELECT 1 FROM tutoring_availabilityslot s
  LEFT JOIN tutoring_tutorsettings ts ON ts.tutor_id = s.tutor_id
  WHERE s.tutor_id = {tutor} AND s.start < :hi AND s."end" > :lo {slot_overlaps}
    AND {least}(s."end", :hi) >= {plus_ws}
    AND (
      NOT EXISTS (
        SELECT 1 FROM tutoring_booking b
        WHERE {active_b} AND b.start < {plus_ws} AND b.blocked_end > {ws}
          {b_overlaps_ws})
      OR EXISTS (
        SELECT 1 FROM tutoring_booking e
        WHERE {active_e} AND e.start < s."end" AND e.blocked_end > s.start {e_overlaps_slot}
          AND e.blocked_end > {ws} AND {plus_e} <= {least}(s."end", :hi)
          AND NOT EXISTS (
            SELECT 1 FROM tutoring_booking b
            WHERE {active_b} AND b.start < {plus_e} AND b.blocked_end > e.blocked_end
              {b_overlaps_e})))
)"""


class _HasFreeWindow(Expression):
    """`has_free_window` as one SQL condition: parameters, no ORM subqueries to build (their
    construction cost more CPU than the Python windows it replaces)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, tutor: Any, *, lo: datetime, hi: datetime, now: datetime) -> None:
        super().__init__()
        self.tutor, self.lo, self.hi, self.now = tutor, lo, hi, now

    def get_source_expressions(self) -> list[Any]:
        return [self.tutor]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.tutor,) = exprs

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        tutor_sql, tutor_params = compiler.compile(self.tutor)
        statuses = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
        postgres = connection.vendor == "postgresql"
        notice = "COALESCE(ts.min_notice_minutes, 0)"
        if postgres:
            greatest, least = "GREATEST", "LEAST"

            def plus(value: str) -> str:
                return f"({value} + interval '{MIN_MINUTES} minutes')"

            earliest = f"(:now + {notice} * interval '1 minute')"

            def overlaps(alias: str, start: str, end: str, lo: str, hi: str) -> str:
                return (
                    f"AND tstzrange({alias}.{start}, {alias}.{end}, '[)') "
                    f"&& tstzrange({lo}, {hi}, '[)')"
                )
        else:  # SQLite: times are text in Django's format, which its own function adds to
            greatest, least = "MAX", "MIN"

            def plus(value: str) -> str:
                return f"django_format_dtdelta('+', {value}, {MIN_MINUTES * 60 * 1_000_000})"

            earliest = f"django_format_dtdelta('+', :now, {notice} * 60000000)"

            def overlaps(alias: str, start: str, end: str, lo: str, hi: str) -> str:
                return ""

        ws = f"{greatest}(s.start, :lo, {earliest})"
        sql = _FREE_WINDOW_SQL.format(
            tutor=tutor_sql,
            least=least,
            plus_ws=plus(ws),
            plus_e=plus("e.blocked_end"),
            ws=ws,
            active_b=f"b.tutor_id = s.tutor_id AND b.status IN ({statuses})",
            active_e=f"e.tutor_id = s.tutor_id AND e.status IN ({statuses})",
            slot_overlaps=overlaps("s", "start", '"end"', ":lo", ":hi"),
            b_overlaps_ws=overlaps("b", "start", "blocked_end", ws, plus(ws)),
            e_overlaps_slot=overlaps("e", "start", "blocked_end", "s.start", 's."end"'),
            b_overlaps_e=overlaps(
                "b", "start", "blocked_end", "e.blocked_end", plus("e.blocked_end")
            ),
        )
        values = {
            ":lo": connection.ops.adapt_datetimefield_value(self.lo),
            ":hi": connection.ops.adapt_datetimefield_value(self.hi),
            ":now": connection.ops.adapt_datetimefield_value(self.now),
        }
        params: list[Any] = []
        for index, piece in enumerate(re.split(r"(:lo|:hi|:now)", sql)):
            if index % 2:
                params.append(values[piece])
        sql = re.sub(r":lo|:hi|:now", "%s", sql)
        return sql, [*tutor_params, *params]  # the tutor comes first in the text


def has_free_window(*, start: datetime, end: datetime, tutor: Any) -> Expression | Exists:
    """SQL: whether tutor `tutor` (an expression, e.g. F("user_id")) has a free window of 15
    minutes or more in [start, end) from now on: the same answer as `tutors_free_between`
    (`free_windows` in Python), decided by the database inside the search's own query.

    A free window is a stretch of a slot (cut to [max(start, now + the tutor's minimum
    notice), min(end, now + the booking horizon)): what booking accepts) outside every active
    booking's [start, blocked_end). Such a stretch begins where the cut slot begins or where
    a booking ends inside it, so one of 15 minutes or more exists exactly when one of those
    points p has p + 15 minutes inside the cut slot and no active booking overlaps
    [p, p + 15 minutes)."""
    now = timezone.now()
    lo, hi = max(start, now), min(end, horizon_end(now))
    if hi - lo < timedelta(minutes=MIN_MINUTES):  # the day is over, or past the horizon
        return Exists(AvailabilitySlot.objects.none())
    return _HasFreeWindow(tutor, lo=lo, hi=hi, now=now)


def horizon_end(now: datetime) -> datetime:
    """The latest start booking accepts (`now` + BOOKING_HORIZON_DAYS): free time ends there."""
    return now + timedelta(days=horizon_days())


def tutors_free_between(*, start: datetime, end: datetime, tutor_ids: list[Any] | None) -> set[Any]:
    """Ids of tutors with a free window of 15 minutes or more in [start, end): two queries."""
    windows = _windows(start=start, end=end, tutor_ids=tutor_ids)
    return {window.tutor_id for window in windows}


def _windows(*, start: datetime, end: datetime, tutor_ids: list[Any] | None) -> list[Any]:
    """Free windows in [start, end), each tutor's cut at now + their minimum notice and at
    the booking horizon: exactly the times booking accepts."""
    now = timezone.now()
    end = min(end, horizon_end(now))
    slots = AvailabilitySlot.objects.filter(start__lt=end, end__gt=max(start, now))
    taken = Booking.objects.filter(
        status__in=ACTIVE_STATUSES, start__lt=end, blocked_end__gt=max(start, now)
    )
    if tutor_ids is not None:
        slots = slots.filter(tutor_id__in=tutor_ids)
        taken = taken.filter(tutor_id__in=tutor_ids)
    else:
        slots = slots.filter(tutor__role=INSTRUCTOR, tutor__is_active=True)
    rows = [
        (slot_id, tutor_id, max(s, start, now + timedelta(minutes=notice or 0)), min(e, end))
        for slot_id, tutor_id, s, e, notice in slots.order_by("start").values_list(
            "pk", "tutor_id", "start", "end", "tutor__tutoring_settings__min_notice_minutes"
        )
    ]
    return free_windows(
        rows,
        list(taken.values_list("tutor_id", "start", "blocked_end")),
        not_before=now,
    )


def tutor_card(profile: InstructorProfile) -> TutorCard:
    settings_row = getattr(profile.user, "tutoring_settings", None)
    return TutorCard(
        id=profile.user_id,
        name=profile.user.full_name,
        avatar=profile.user.avatar.name or None,
        headline=profile.headline,
        skills=list(profile.skills or []),
        languages=list(profile.languages or []),
        hourly_rate=profile.hourly_rate,
        currency=profile.currency,
        timezone=profile.timezone or "UTC",
        rating=exact_rating(settings_row.rating_sum, settings_row.rating_count)
        if settings_row
        else None,
        testimonial_count=settings_row.rating_count if settings_row else 0,
    )


def tutor_profile(tutor_id: Any) -> InstructorProfile:
    """A tutor who takes bookings; 404 otherwise."""
    profile = tutor_profiles().filter(user_id=tutor_id).first()
    if profile is None:
        raise NotFound("No such tutor.")
    return profile


def free_time(
    *, profile: InstructorProfile, start: datetime, end: datetime, viewer_tz: ZoneInfo
) -> list[FreeWindow]:
    """The tutor's free windows in [start, end) that booking accepts (from now + their
    minimum notice, up to the booking horizon), shown in the viewer's and the tutor's time:
    two queries."""
    tutor_tz = zone(profile.timezone or "UTC")
    return [
        FreeWindow(
            slot_id=window.slot_id,
            start=window.start,
            end=window.end,
            timezone=str(viewer_tz.key),
            start_local=window.start.astimezone(viewer_tz),
            end_local=window.end.astimezone(viewer_tz),
            tutor_timezone=str(tutor_tz.key),
            tutor_start_local=window.start.astimezone(tutor_tz),
            tutor_end_local=window.end.astimezone(tutor_tz),
        )
        for window in _windows(start=start, end=end, tutor_ids=[profile.user_id])
    ]


def tutor_detail(
    *, tutor_id: Any, start: datetime, end: datetime, viewer_tz: ZoneInfo
) -> TutorDetail:
    profile = tutor_profile(tutor_id)
    settings_row = getattr(profile.user, "tutoring_settings", None)
    return TutorDetail(
        card=tutor_card(profile),
        bio=profile.bio,
        buffer_minutes=settings_row.buffer_minutes if settings_row else 0,
        min_notice_minutes=settings_row.min_notice_minutes if settings_row else 0,
        free_slots=free_time(profile=profile, start=start, end=end, viewer_tz=viewer_tz),
    )


# --- a tutor's own availability -----------------------------------------------------------


def slots_of(*, tutor: User) -> QuerySet[AvailabilitySlot]:
    """The tutor's slots from now on (ongoing included), earliest first."""
    return AvailabilitySlot.objects.filter(tutor=tutor, end__gt=timezone.now()).order_by(
        "start", "id"
    )


def weekly_of(*, tutor: User) -> QuerySet[WeeklyAvailability]:
    return WeeklyAvailability.objects.filter(tutor=tutor).order_by("weekday", "start_time", "id")


def settings_of(*, tutor: User) -> TutorSettings:
    """The tutor's settings; the defaults (unsaved) when they never changed any."""
    return TutorSettings.objects.filter(tutor=tutor).first() or TutorSettings(tutor=tutor)


# --- bookings --------------------------------------------------------------------------------


def _bookings() -> QuerySet[Booking]:
    return Booking.objects.select_related("student", "tutor")


def bookings_for(
    *, user: User, role: str | None = None, status: str | None = None
) -> QuerySet[Booking]:
    """The caller's bookings as student and as tutor (`role` "student" or "tutor" narrows),
    latest start first."""
    if role == "student":
        match = Q(student=user)
    elif role == "tutor":
        match = Q(tutor=user)
    else:
        match = Q(student=user) | Q(tutor=user)
    bookings = _bookings().filter(match)
    if status:
        bookings = bookings.filter(status=status)
    return bookings.order_by("-start", "id")


def booking_for_participant(*, user: User, booking_id: Any) -> Booking:
    """The booking when `user` is its student or tutor (or an admin); 404 otherwise."""
    bookings = _bookings().filter(pk=booking_id)
    if not has_role(user, ADMIN):
        bookings = bookings.filter(Q(student=user) | Q(tutor=user))
    booking = bookings.first()
    if booking is None:
        raise NotFound("No such booking.")
    return booking


# --- testimonials ----------------------------------------------------------------------------


def tutor_testimonials(*, tutor_id: Any = None) -> QuerySet[Testimonial]:
    found = Testimonial.objects.select_related("student").order_by("-created_at", "id")
    if tutor_id is not None:
        found = found.filter(tutor_id=tutor_id)
    return found
