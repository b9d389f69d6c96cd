"""Bookings: created inside a tutor's free time, priced, confirmed, completed, rescheduled,
cancelled (with commerce's refund when the policy gives one), expired when unpaid."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.utils import timezone

from lms.accounts.models import InstructorProfile, User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.commerce.providers import get_provider
from lms.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from lms.core.money import Money, amount_string, check_minimum_charge, format_money
from lms.core.permissions import ADMIN, INSTRUCTOR, has_role
from lms.core.requests import AnyRequest
from lms.notifications.models import Category
from lms.notifications.services import notify
from lms.payouts.services import split_sale

from .. import locks
from ..errors import TutoringError
from ..models import (
    ACTIVE_STATUSES,
    BOOKING_EXCLUSION,
    AvailabilitySlot,
    Booking,
    BookingStatus,
    CancelReason,
    TutorSettings,
)
from ..timing import check_aware, check_range, horizon_days
from .availability import tutor_timezone
from .earnings import hold_earning_until
from .states import transition_booking

logger = logging.getLogger(__name__)
S = BookingStatus

PENDING_MINUTES = 15  # an unpaid booking holds the time this long
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


def auto_complete_hours() -> int:
    return int(getattr(settings, "BOOKING_AUTO_COMPLETE_HOURS", 24))


@dataclass(frozen=True, slots=True)
class Price:
    """A booking's price (hourly rate x minutes / 60, half up to the currency's minor unit,
    then down to what the payment provider charges), the platform fee
    (PLATFORM_FEE_PERCENT, half up: payouts' split_sale, the very rule the ledger posts) and
    the tutor's earning, price = fee + earning; all in the hourly rate's currency."""

    hourly_rate: Money
    price: Money
    platform_fee: Money
    tutor_earning: Money

    @property
    def currency(self) -> str:
        return self.price.currency


def price_of(*, tutor: User, hourly_rate: Money, minutes: int) -> Price:
    """`Price` of `minutes` with `tutor` at `hourly_rate`; a price that rounds to nothing is
    Money zero (the caller refuses it). UnsupportedCurrency for a currency not sold in."""
    currency = hourly_rate.currency
    computed = Money.rounded(hourly_rate.amount * minutes / Decimal(60), currency)
    payable = Decimal(1).scaleb(-get_provider().payable_exponent(currency))
    price = Money.exact(computed.amount.quantize(payable, ROUND_DOWN), currency)
    fee, [(_, earning)] = split_sale(amount_paid=price, splits=[(tutor, 100)])
    return Price(hourly_rate, price, fee, earning)


def hourly_rate_of(profile: InstructorProfile) -> Money:
    """The tutor's hourly rate in their currency, half up to its minor unit: a rate is exact
    when set, but a later change of the currency alone (10.50 USD to JPY) keeps its digits."""
    return Money.rounded(profile.hourly_rate, profile.currency)


# The tutor with what a booking reads of them, in one query.
TUTOR_RELATED = ("instructor_profile", "tutoring_settings")
# ... and only the columns it reads (`_bookable_tutor`, the price, the answer's tutor name):
# building three whole rows (some sixty columns) was a tenth of a booking's CPU.
TUTOR_FIELDS = (
    "id", "is_active", "role", "first_name", "last_name", "email",
    "instructor_profile__id", "instructor_profile__user_id", "instructor_profile__hourly_rate",
    "instructor_profile__currency", "instructor_profile__timezone",
    "tutoring_settings__id", "tutoring_settings__tutor_id",
    "tutoring_settings__buffer_minutes", "tutoring_settings__min_notice_minutes",
)  # fmt: skip


def _bookable_tutor(
    tutor_id: Any, *, tutor: User | None = None
) -> tuple[User, InstructorProfile, TutorSettings]:
    """The tutor (loaded with TUTOR_RELATED, or `tutor` when the caller has it) with their
    profile and settings (the defaults, unsaved, before their first change). 404 for nobody
    or an inactive account; 400 `tutor_not_bookable` without the role or an hourly rate."""
    if tutor is None:
        tutor = (
            User.objects.select_related(*TUTOR_RELATED)
            .only(*TUTOR_FIELDS)
            .filter(pk=tutor_id)
            .first()
        )
    if tutor is None or not tutor.is_active:
        raise NotFound("No such tutor.")
    profile = getattr(tutor, "instructor_profile", None)
    if not has_role(tutor, INSTRUCTOR) or profile is None or profile.hourly_rate <= 0:
        raise Invalid("This person does not take bookings.", code=TutoringError.TUTOR_NOT_BOOKABLE)
    found = getattr(tutor, "tutoring_settings", None)
    return tutor, profile, found or TutorSettings(tutor=tutor)


def _unavailable(message: str = "This time is not available.") -> Conflict:
    return Conflict(message, code=TutoringError.SLOT_UNAVAILABLE)


def _check_notice(*, start: datetime, now: datetime, tutor_settings: TutorSettings) -> None:
    if start - now < timedelta(minutes=tutor_settings.min_notice_minutes):
        raise Invalid(
            f"This tutor needs {tutor_settings.min_notice_minutes} minutes' notice.",
            code=TutoringError.TOO_SHORT_NOTICE,
        )
    if start - now > timedelta(days=horizon_days()):
        raise Invalid(
            f"Lessons can be booked up to {horizon_days()} days ahead.",
            code=TutoringError.BEYOND_HORIZON,
        )


def expire_stale_of_tutor(tutor_id: Any, *, now: datetime) -> None:
    """Pending bookings of the (locked) tutor past their expiry free their time now, so a new
    booking never waits for the periodic task."""
    stale = Booking.objects.filter(tutor_id=tutor_id, status=S.PENDING, expires_at__lte=now)
    _expire_locked(stale.values_list("pk", flat=True), now=now)


def _expire_locked(ids: Any, *, now: datetime) -> None:
    """Expire the bookings `ids` that are still pending once locked (step 3 of the order)."""
    for booking in locks.lock_bookings(ids):
        if booking.status == S.PENDING:
            _expire(booking, now=now)


def _clear_the_way(
    tutor_id: Any, start: datetime, blocked_end: datetime, *, now: datetime, exclude: Any = None
) -> None:
    """409 `slot_unavailable` when a live active booking of the tutor overlaps
    [start, blocked_end) (both ranges with their buffers); pending ones in the way whose 15
    minutes are over are expired first (locked, step 3), so their time is free at once,
    whatever the beat task's schedule. One query when nothing is overdue."""
    overlapping = Booking.objects.filter(
        tutor_id=tutor_id, status__in=ACTIVE_STATUSES, start__lt=blocked_end, blocked_end__gt=start
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude)
    stale = []
    for pk, status, expires_at in overlapping.values_list("pk", "status", "expires_at"):
        if status != S.PENDING or expires_at is None or expires_at > now:
            raise _unavailable()
        stale.append(pk)
    if stale:
        _expire_locked(stale, now=now)


def _lost_the_race(exc: DatabaseError) -> bool:
    """Whether `exc` is PostgreSQL refusing an overlapping booking: the exclusion constraint
    itself, or its deadlock (two transactions writing overlapping bookings at once each wait
    for the other's row; the deadlock detector ends one of them, SQLSTATE 40P01)."""
    if BOOKING_EXCLUSION in str(exc):
        return True
    return getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


def _save_guarded(booking: Booking, *, savepoint: bool = True, **save: Any) -> None:
    """Save under a savepoint (or, with `savepoint=False`, in the caller's transaction, which
    the 409 then rolls back whole): PostgreSQL refusing the overlap is 409 `slot_unavailable`."""
    try:
        with transaction.atomic(savepoint=savepoint):
            booking.save(**save)
    except (IntegrityError, OperationalError) as exc:
        if _lost_the_race(exc):
            raise _unavailable("This time was just taken.") from exc
        raise


def meeting_room_url() -> str:
    """A new unique room URL under TUTORING_MEETING_BASE_URL."""
    base = str(getattr(settings, "TUTORING_MEETING_BASE_URL", "https://meet.jit.si")).rstrip("/")
    return f"{base}/learnflow-{secrets.token_urlsafe(16)}"


@transaction.atomic
def create_booking(
    *,
    student: User,
    slot_id: Any = None,
    tutor_id: Any = None,
    start: datetime | None = None,
    duration_minutes: int | None = None,
    request: AnyRequest = None,
) -> Booking:
    """A pending booking, by `slot_id` (the whole slot) or by `tutor_id` + `start` +
    `duration_minutes` inside one free slot of the tutor. It holds the time for
    PENDING_MINUTES (15) until paid through `POST /payments/checkout/ {booking_id}`. The
    returned booking has `student`, `tutor` and `slot` loaded (the API answers from it).

    400: bad times (timing.check_range), booking yourself `cannot_book_yourself`, a tutor
    without an hourly rate `tutor_not_bookable`, a price that rounds to nothing in the
    tutor's currency `price_too_low`, below the payment provider's minimum charge (Stripe:
    0.50 USD and the like; a booking is paid alone) `below_minimum_charge`, inside the
    tutor's notice `too_short_notice`,
    past BOOKING_HORIZON_DAYS `beyond_booking_horizon`; 404: no such slot or tutor; 409
    `slot_unavailable`: outside the tutor's slots or overlapping an active booking (with the
    tutor's buffer), also when two requests race for it (PostgreSQL's exclusion constraint;
    the slot's lock keeps the time offered until commit, lms/tutoring/locks.py).

    Queries: the tutor (or the slot with its tutor), the overlapping bookings, the slot
    locked, the insert, the audit line; no tutor lock."""
    now = timezone.now()
    tutor: User | None = None
    if slot_id is not None:
        related = [f"tutor__{name}" for name in TUTOR_RELATED]
        slot = AvailabilitySlot.objects.select_related(*related).filter(pk=slot_id).first()
        if slot is None:
            raise NotFound("No such slot.")
        tutor, tutor_id, start, end = slot.tutor, slot.tutor_id, slot.start, slot.end
    else:
        if start is None or duration_minutes is None or tutor_id is None:
            raise Invalid("Give slot_id, or tutor_id, start and duration_minutes.")
        check_aware(start)
        end = start + timedelta(minutes=duration_minutes)
    if str(tutor_id) == str(student.pk):
        raise Invalid("You cannot book yourself.", code=TutoringError.OWN_BOOKING)
    tutor, profile, tutor_settings = _bookable_tutor(tutor_id, tutor=tutor)
    check_range(start, end, now=now)
    _check_notice(start=start, now=now, tutor_settings=tutor_settings)
    minutes = int((end - start) / timedelta(minutes=1))
    price = price_of(tutor=tutor, hourly_rate=hourly_rate_of(profile), minutes=minutes)
    if not price.price.is_positive:
        raise Invalid(
            f"At this tutor's rate, {minutes} minutes cost less than the smallest amount "
            f"payable in {price.currency}.",
            code=TutoringError.PRICE_TOO_LOW,
        )
    check_minimum_charge(price.price)  # a booking is paid alone: one payment, one minimum
    blocked_end = end + timedelta(minutes=tutor_settings.buffer_minutes)
    _clear_the_way(tutor.pk, start, blocked_end, now=now)
    held = locks.lock_slot_holding(tutor.pk, start, end, slot_id=slot_id)
    if held is None:
        if slot_id is not None:
            raise _unavailable("This slot was just withdrawn.")
        raise _unavailable("The tutor is not available at this time.")
    booking = Booking(
        student=student,
        tutor=tutor,
        slot=held,
        start=start,
        end=end,
        blocked_end=blocked_end,
        duration_minutes=minutes,
        tutor_timezone=tutor_timezone(tutor),
        hourly_rate=price.hourly_rate.amount,
        price=price.price.amount,
        platform_fee=price.platform_fee.amount,
        tutor_earning=price.tutor_earning.amount,
        currency=price.currency,
        refund_cutoff_hours=settings.BOOKING_REFUND_CUTOFF_HOURS,
        expires_at=now + timedelta(minutes=PENDING_MINUTES),
        meeting_url=meeting_room_url(),
    )
    # The last write that can fail: a refusal rolls the whole transaction back (no savepoint).
    _save_guarded(booking, savepoint=False, force_insert=True)
    record(
        action=AuditAction.BOOKING_CREATED,
        actor=student,
        target=booking,
        request=request,
        data={
            "tutor": str(tutor.pk),
            "start": start.isoformat(),
            "minutes": minutes,
            "price": amount_string(price.price.amount, price.currency),
            "currency": price.currency,
        },
    )
    return booking


# --- tutor's moves -----------------------------------------------------------------------------


def _as_tutor(booking: Booking, user: User) -> None:
    if booking.tutor_id != user.pk and not has_role(user, ADMIN):
        raise PermissionDenied("Only the tutor can do this.")


@transaction.atomic
def confirm_booking(*, by: User, booking_id: Any, request: AnyRequest = None) -> Booking:
    """The tutor confirms a paid booking (403 for the student, 409 from another state)."""
    booking = locks.lock_booking(booking_id)
    _as_tutor(booking, by)
    transition_booking(booking, S.CONFIRMED, actor=by, request=request)
    booking.confirmed_at = timezone.now()
    booking.save(update_fields=["status", "confirmed_at", "updated_at"])
    notify(
        user=booking.student,
        category=Category.TUTORING,
        title="Lesson confirmed",
        body=f"Your lesson on {booking.start:%Y-%m-%d %H:%M} UTC is confirmed.",
        data={"booking_id": str(booking.pk), "status": booking.status},
    )
    return booking


@transaction.atomic
def complete_booking(
    *, by: User | None, booking_id: Any, request: AnyRequest = None, now: datetime | None = None
) -> Booking:
    """Mark a paid or confirmed lesson completed, once it has started (the tutor; `by` None is
    the automatic completion). The tutor's earning then starts its hold (EARNINGS_HOLD_DAYS
    from now). 403 for the student; 409 before the start or from another state."""
    now = now or timezone.now()
    booking = locks.lock_booking(booking_id)
    if by is not None:
        _as_tutor(booking, by)
    if booking.start > now and booking.status in (S.PAID, S.CONFIRMED):
        raise Conflict(
            "A lesson can be completed once it has started.",
            code=TutoringError.INVALID_BOOKING_STATE,
        )
    transition_booking(
        booking, S.COMPLETED, actor=by, request=request, data={"automatic": by is None}
    )
    booking.completed_at = now
    booking.save(update_fields=["status", "completed_at", "updated_at"])
    hold_earning_until(booking, now + timedelta(days=settings.EARNINGS_HOLD_DAYS))
    notify(
        user=booking.student,
        category=Category.TUTORING,
        title="Lesson completed",
        body="How was it? You can now leave a testimonial for your tutor.",
        data={"booking_id": str(booking.pk), "status": booking.status},
        email=False,
    )
    return booking


def complete_due_bookings(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat: paid or confirmed lessons that ended BOOKING_AUTO_COMPLETE_HOURS (24) ago are
    completed, each in its own transaction. Returns how many."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status__in=(S.PAID, S.CONFIRMED), end__lte=now - timedelta(hours=auto_complete_hours())
    ).values_list("pk", flat=True)[:limit]
    done = 0
    for booking_id in due:
        try:
            complete_booking(by=None, booking_id=booking_id, now=now)
        except (Conflict, NotFound):
            continue
        done += 1
    return done


def _check_not_lapsed(booking: Booking, *, now: datetime) -> None:
    """409 for a pending booking whose unpaid minutes are over and that the beat task has not
    expired yet: its time is no longer held, so it cannot change (and the caller's copy must
    never be saved over the expiry `expire_stale_of_tutor` writes)."""
    if booking.status == S.PENDING and booking.expires_at and booking.expires_at <= now:
        raise Conflict(
            "This booking expired unpaid: book again.", code=TutoringError.INVALID_BOOKING_STATE
        )


@transaction.atomic
def set_meeting_url(*, by: User, booking_id: Any, meeting_url: str) -> Booking:
    """The tutor sets the lesson's meeting link ("" generates a new room URL); the calendar
    event's SEQUENCE increases."""
    booking = locks.lock_booking(booking_id)
    _as_tutor(booking, by)
    if booking.status not in (S.PENDING, S.PAID, S.CONFIRMED):
        raise Conflict(
            f"A {booking.status} booking cannot change.", code=TutoringError.INVALID_BOOKING_STATE
        )
    _check_not_lapsed(booking, now=timezone.now())
    booking.meeting_url = meeting_url or meeting_room_url()
    booking.sequence += 1
    booking.save(update_fields=["meeting_url", "sequence", "updated_at"])
    return booking


# --- expiry --------------------------------------------------------------------------------------


def _expire(booking: Booking, *, now: datetime) -> None:
    transition_booking(booking, S.CANCELLED, data={"reason": CancelReason.EXPIRED})
    booking.cancel_reason = CancelReason.EXPIRED
    booking.cancelled_at = now
    booking.sequence += 1
    booking.save(
        update_fields=["status", "cancel_reason", "cancelled_at", "sequence", "updated_at"]
    )
    notify(
        user=booking.student,
        category=Category.TUTORING,
        title="Booking expired",
        body="Your booking was not paid within 15 minutes, so its time was released.",
        data={"booking_id": str(booking.pk), "status": booking.status},
        email=False,
    )


def expire_pending_bookings(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Beat, every minute: pending bookings unpaid PENDING_MINUTES after they were made are
    cancelled (reason `expired`) and free their time; each in its own short transaction, so
    the task can run twice at once without expiring anything twice. Returns how many."""
    now = now or timezone.now()
    due = Booking.objects.filter(status=S.PENDING, expires_at__lte=now).values_list(
        "pk", flat=True
    )[:limit]
    done = 0
    for booking_id in due:
        with transaction.atomic():
            for booking in locks.lock_bookings([booking_id]):
                if booking.status == S.PENDING:
                    _expire(booking, now=now)
                    done += 1
    return done


# --- reschedule ----------------------------------------------------------------------------------


@transaction.atomic
def reschedule_booking(
    *, by: User, booking: Booking, start: datetime, request: AnyRequest = None
) -> Booking:
    """Move a pending, paid or confirmed booking to `start` (same duration), by either side,
    at least its cutoff (BOOKING_REFUND_CUTOFF_HOURS when booked) before its current start
    (403 `reschedule_closed` after). The new time must be free time of the tutor (409
    `slot_unavailable`) and pass the same checks as a booking (400). The payment is kept;
    the calendar event's SEQUENCE increases and the reminders will be sent again."""
    now = timezone.now()
    check_aware(start)
    end = start + timedelta(minutes=booking.duration_minutes)
    check_range(start, end, now=now)
    tutor_settings = locks.lock_tutor(booking.tutor_id)
    booking = locks.lock_booking(booking.pk)
    if booking.status not in (S.PENDING, S.PAID, S.CONFIRMED):
        raise Conflict(
            f"A {booking.status} booking cannot be rescheduled.",
            code=TutoringError.INVALID_BOOKING_STATE,
        )
    _check_not_lapsed(booking, now=now)
    if booking.start - now < timedelta(hours=booking.refund_cutoff_hours):
        raise PermissionDenied(
            f"Lessons can be moved until {booking.refund_cutoff_hours} hours before they start.",
            code=TutoringError.RESCHEDULE_CLOSED,
        )
    _check_notice(start=start, now=now, tutor_settings=tutor_settings)
    if booking.paid_at and start > booking.paid_at + timedelta(days=settings.REFUND_WINDOW_DAYS):
        raise Invalid(
            "A paid lesson cannot move past its refund window.",
            code=TutoringError.BEYOND_HORIZON,
        )
    blocked_end = end + timedelta(minutes=tutor_settings.buffer_minutes)
    _clear_the_way(booking.tutor_id, start, blocked_end, now=now, exclude=booking.pk)
    slot = locks.lock_slot_holding(booking.tutor_id, start, end)
    if slot is None:
        raise _unavailable("The tutor is not available at this time.")
    previous = booking.start
    booking.start, booking.end, booking.blocked_end, booking.slot = start, end, blocked_end, slot
    booking.sequence += 1
    booking.reminded_24h_at = None
    booking.reminded_1h_at = None
    _save_guarded(booking)
    record(
        action=AuditAction.BOOKING_RESCHEDULED,
        actor=by,
        target=booking,
        request=request,
        data={"from": previous.isoformat(), "to": start.isoformat(), "sequence": booking.sequence},
    )
    if booking.status in (S.PAID, S.CONFIRMED):
        hold_earning_until(booking, default_hold_until(booking))
    other = booking.tutor if by.pk == booking.student_id else booking.student
    notify(
        user=other,
        category=Category.TUTORING,
        title="Lesson moved",
        body=f"Your lesson moved from {previous:%Y-%m-%d %H:%M} UTC to {start:%Y-%m-%d %H:%M} UTC.",
        data={"booking_id": str(booking.pk), "status": booking.status},
    )
    return booking


def default_hold_until(booking: Booking) -> datetime:
    """Until it is completed, a paid booking's earning is held to its automatic completion
    plus EARNINGS_HOLD_DAYS (completion restarts the clock from the real time)."""
    return (
        booking.end
        + timedelta(hours=auto_complete_hours())
        + timedelta(days=settings.EARNINGS_HOLD_DAYS)
    )


# --- cancellation --------------------------------------------------------------------------------


def refund_due(booking: Booking, *, by: User, now: datetime) -> bool:
    """The cancellation policy: the tutor (or an admin) cancelling always refunds in full; the
    student gets a full refund at least `refund_cutoff_hours` (the BOOKING_REFUND_CUTOFF_HOURS
    in force when booked, 24) before the start, none after."""
    if by.pk == booking.tutor_id or has_role(by, ADMIN):
        return True
    return booking.start - now >= timedelta(hours=booking.refund_cutoff_hours)


def cancel_booking(
    *, by: User, booking: Booking, reason: str = "", request: AnyRequest = None
) -> Booking:
    """Cancel a booking, by either side (a booking of somebody else is 404 before this).

    Pending: cancelled at once. Paid or confirmed with a refund due (`refund_due`): commerce
    refunds the order item through its provider (lms.commerce.services.request_refund, outside
    every tutoring lock), which reverses the earning in the ledger and moves the booking to
    `refunded` (BookingKind.revoke). Without a refund: `cancelled`, the tutor keeps the
    earning (its hold starts now). Anything else, or twice: 409. Both sides are notified."""
    from lms.commerce.services import request_refund

    with transaction.atomic():
        locked = locks.lock_booking(booking.pk)
        now = timezone.now()
        wants_refund = locked.status in (S.PAID, S.CONFIRMED) and refund_due(locked, by=by, now=now)
        if not wants_refund:
            _cancel_without_refund(locked, by=by, reason=reason, now=now, request=request)
            return locked
        if locked.order_id is None:  # paid by no order: cannot happen through checkout
            raise Conflict("This booking has no payment.", code=TutoringError.INVALID_BOOKING_STATE)
        order_id = locked.order_id
    request_refund(
        order_id=order_id,
        by=by,
        reference_ids=[str(booking.pk)],
        reason=(reason or "Lesson cancelled")[:500],
        request=request,
    )
    return Booking.objects.get(pk=booking.pk)


def _cancel_without_refund(
    booking: Booking, *, by: User, reason: str, now: datetime, request: AnyRequest
) -> None:
    by_tutor = by.pk == booking.tutor_id
    was = booking.status
    transition_booking(
        booking,
        S.CANCELLED,
        actor=by,
        request=request,
        data={"by": "tutor" if by_tutor else "student", "refund": False, "reason": reason[:200]},
    )
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.cancel_reason = CancelReason.TUTOR if by_tutor else CancelReason.STUDENT
    booking.sequence += 1
    booking.save(
        update_fields=[
            "status", "cancelled_at", "cancelled_by", "cancel_reason", "sequence", "updated_at"
        ]
    )  # fmt: skip
    if was in (S.PAID, S.CONFIRMED):
        # Late cancellation by the student: the tutor keeps the earning; its hold starts now.
        hold_earning_until(booking, now + timedelta(days=settings.EARNINGS_HOLD_DAYS))
    late = f" No refund: it was cancelled less than {booking.refund_cutoff_hours} hours ahead."
    for user, title in ((booking.student, "Lesson cancelled"), (booking.tutor, "Lesson cancelled")):
        notify(
            user=user,
            category=Category.TUTORING,
            title=title,
            body=f"The lesson on {booking.start:%Y-%m-%d %H:%M} UTC was cancelled."
            + (late if was in (S.PAID, S.CONFIRMED) else ""),
            data={"booking_id": str(booking.pk), "status": booking.status},
        )


def money(booking: Booking) -> str:
    return format_money(booking.price, booking.currency)
