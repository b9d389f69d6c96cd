"""Reads of tutoring: tutors, free time, slots, bookings, testimonials.

Every read runs a fixed number of queries (asserted in the tests): tutor search four
(profiles, their slots on `available_on`, the bookings over those, the count), a tutor's
free time two (slots, bookings), booking lists one plus the count.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Q, QuerySet, TextField
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
from .timing import day_bounds, free_windows, zone


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
    profiles = tutor_profiles()
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
        free = tutors_free_between(start=start, end=end, tutor_ids=None)
        profiles = profiles.filter(user_id__in=free)
    return profiles


def tutors_free_between(*, start: datetime, end: datetime, tutor_ids: list[Any] | None) -> set[Any]:
    """Ids of tutors with a free window of 15 minutes or more in [start, end): two queries."""
    windows = _windows(start=start, end=end, tutor_ids=tutor_ids)
    return {window.tutor_id for window in windows}


def _windows(*, start: datetime, end: datetime, tutor_ids: list[Any] | None) -> list[Any]:
    now = timezone.now()
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
        (slot_id, tutor_id, max(s, start), min(e, end))
        for slot_id, tutor_id, s, e in slots.order_by("start").values_list(
            "pk", "tutor_id", "start", "end"
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
    """The tutor's free windows in [start, end), shown in the viewer's and the tutor's time:
    two queries."""
    tutor_tz = zone(profile.timezone or "UTC")
    min_notice = getattr(getattr(profile.user, "tutoring_settings", None), "min_notice_minutes", 0)
    earliest = timezone.now() + timedelta(minutes=min_notice)
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
        for window in _windows(start=max(start, earliest), end=end, tutor_ids=[profile.user_id])
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
