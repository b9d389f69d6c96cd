"""Tutoring: tutors' availability, bookings of their time, testimonials.

Times are stored in UTC (timezone-aware `DateTimeField`s); a tutor's own timezone is the
`timezone` of their `accounts.InstructorProfile` and is used only to expand weekly
availability and to show local times. Invariants held by the database:

- a slot and a booking end after they start (check constraints);
- a booking's fee and earning are not negative and add up to its price;
- no two availability slots of one tutor overlap, and no two *active* bookings of one tutor
  overlap (PostgreSQL exclusion constraints over `tstzrange(start, end)` with `btree_gist`,
  added by migration 0002 on PostgreSQL only; on SQLite, one writer at a time, the services
  check the same rule in their transaction, docs/tutoring.md);
- one testimonial per booking.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.db.models.lookups import Exact

from lms.core.models import BaseModel, CurrencyField, MoneyAmountField
from lms.core.money import MONEY_DECIMAL_PLACES

# Names of the PostgreSQL exclusion constraints (migration 0002): the services turn their
# IntegrityError into 409s.
SLOT_EXCLUSION = "tutoring_slot_no_overlap"
BOOKING_EXCLUSION = "tutoring_booking_no_overlap"


class TutorSettings(BaseModel):
    """Per-tutor booking settings and the exact rating of their testimonials.

    The row is also the tutor's lock (lms/tutoring/locks.py): every write that changes what
    time a tutor offers (slots, weekly rules), reschedules and ratings lock it first; a new
    booking does not (the exclusion constraint and its slot's lock keep it exact).
    """

    tutor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutoring_settings"
    )
    buffer_minutes = models.PositiveSmallIntegerField(default=0)  # free time after each lesson
    min_notice_minutes = models.PositiveIntegerField(default=0)  # how early a booking must be
    rating_sum = models.PositiveIntegerField(default=0)  # sum of testimonial ratings (1..5)
    rating_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "tutor settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(buffer_minutes__lte=240), name="tutoring_buffer_at_most_4h"
            ),
            models.CheckConstraint(
                condition=Q(rating_sum__gte=F("rating_count"))
                & Q(rating_sum__lte=F("rating_count") * 5),
                name="tutoring_rating_sum_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"settings of {self.tutor_id}"


class WeeklyAvailability(BaseModel):
    """ "Every <weekday> at <local time> for <minutes>" in the tutor's timezone, expanded into
    `AvailabilitySlot` rows week by week (services.expand_weekly_availability)."""

    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutoring_weekly"
    )
    weekday = models.PositiveSmallIntegerField()  # 0 Monday .. 6 Sunday
    start_time = models.TimeField()  # wall-clock time in `timezone`
    duration_minutes = models.PositiveSmallIntegerField()
    timezone = models.CharField(max_length=64)
    starts_on = models.DateField()  # first local date considered
    ends_on = models.DateField(null=True, blank=True)  # last local date, inclusive
    expanded_until = models.DateField(null=True, blank=True)  # last local date expanded

    class Meta:
        verbose_name_plural = "weekly availabilities"
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="tutoring_weekday_range"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15) & Q(duration_minutes__lte=480),
                name="tutoring_weekly_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"weekday {self.weekday} {self.start_time} {self.timezone}"


class AvailabilitySlot(BaseModel):
    """A stretch of a tutor's time open for booking, [start, end) in UTC."""

    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutoring_slots"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    weekly = models.ForeignKey(
        WeeklyAvailability,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slots",
    )

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["tutor", "start"]), models.Index(fields=["start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="tutoring_slot_ends_after")
        ]

    def __str__(self) -> str:
        return f"{self.tutor_id} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} UTC"


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


# Bookings that hold the tutor's time (the exclusion constraint's condition).
ACTIVE_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.PAID,
    BookingStatus.CONFIRMED,
    BookingStatus.COMPLETED,
)
# Bookings that make student and tutor "share a booking" (messaging, testimonials).
SHARED_STATUSES = (BookingStatus.PAID, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


class CancelReason(models.TextChoices):
    EXPIRED = "expired", "Not paid in time"
    STUDENT = "student", "Cancelled by the student"
    TUTOR = "tutor", "Cancelled by the tutor"
    LATE_PAYMENT = "late_payment", "Paid after it expired"


class Booking(BaseModel):
    """A student's booking of a tutor's time, [start, end) in UTC, with its price snapshot.

    `blocked_end` is `end` plus the tutor's buffer at booking time: the range
    [start, blocked_end) is what no other active booking of the tutor may overlap.
    """

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tutoring_bookings"
    )
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tutoring_lessons"
    )
    slot = models.ForeignKey(
        AvailabilitySlot, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_end = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    tutor_timezone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(
        max_length=20, choices=BookingStatus.choices, default=BookingStatus.PENDING
    )
    # Price snapshot: hourly_rate x duration, the platform fee and the tutor's earning.
    hourly_rate = MoneyAmountField()
    price = MoneyAmountField()
    platform_fee = MoneyAmountField()
    tutor_earning = MoneyAmountField()
    currency = CurrencyField()
    # The cancellation policy in force when it was booked.
    refund_cutoff_hours = models.PositiveIntegerField()
    expires_at = models.DateTimeField(null=True, blank=True)  # pending: unpaid after this
    order_id = models.UUIDField(null=True, blank=True)  # commerce's order that paid it
    paid_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=20, choices=CancelReason.choices, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    meeting_url = models.URLField(max_length=500, blank=True)
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE, +1 per change
    reminded_24h_at = models.DateTimeField(null=True, blank=True)
    reminded_1h_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        indexes = [
            models.Index(fields=["tutor", "start"]),
            models.Index(fields=["student", "start"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["status", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")) & Q(blocked_end__gte=F("end")),
                name="tutoring_booking_ends_after",
            ),
            models.CheckConstraint(
                condition=Q(platform_fee__gte=0)
                & Q(tutor_earning__gte=0)
                # Compared at the stored scale: SQLite keeps decimals as binary floats, where
                # 1.543 + 8.745 is not 10.288 (PostgreSQL's numeric is exact either way).
                & Q(
                    Exact(
                        Round("price", MONEY_DECIMAL_PLACES),
                        Round(F("platform_fee") + F("tutor_earning"), MONEY_DECIMAL_PLACES),
                    )
                ),
                name="tutoring_booking_price_split",
            ),
            models.CheckConstraint(
                condition=~Q(student=F("tutor")), name="tutoring_booking_not_own"
            ),
        ]

    def __str__(self) -> str:
        return f"booking {self.pk} ({self.status})"


class Testimonial(BaseModel):
    """A student's rating (1-5) and comment of a completed booking; one per booking."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="testimonial")
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutoring_testimonials"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tutor", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="tutoring_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.tutor_id}"
