"""Input validation and the one output shape of each tutoring resource."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import available_timezones

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.core.serializers import AmountField, AmountInputField, FileUrlField

from ..errors import TutoringError
from ..models import (
    AvailabilitySlot,
    Booking,
    BookingStatus,
    Testimonial,
    TutorSettings,
    WeeklyAvailability,
)
from ..timing import MAX_MINUTES, MIN_MINUTES, zone

TIMEZONES = sorted(available_timezones())  # every `tz` parameter's names (and the document's enum)

# The dates any input may name: far enough for every real calendar, far from datetime's limits
# (year 1 and 9999, where adding a week or changing the offset overflows: a 500, not a 400).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _check_date_range(value: date) -> None:
    if not EARLIEST.date() <= value < LATEST.date():
        raise serializers.ValidationError(
            "Give a date from 1970 to 2999.", code=TutoringError.TIME_OUT_OF_RANGE
        )


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field[Any, Any, Any, Any]):
    """ISO 8601 with its UTC offset (`Z` or `+01:00`); a time without one is 400
    `naive_datetime`, never read as the server's time."""

    default_error_messages = {
        "invalid": "Not an ISO 8601 date and time.",
        "naive_datetime": "Give the time with its UTC offset, e.g. 2026-03-02T18:00:00+01:00.",
        "time_out_of_range": "Give a time from 1970 to 2999.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        assert value is not None
        if value.tzinfo is None:
            self.fail(TutoringError.NAIVE_DATETIME)
        try:
            in_range = EARLIEST <= value < LATEST
        except OverflowError:  # year 1 with a positive offset: before year 1 in UTC
            in_range = False
        if not in_range:
            self.fail(TutoringError.TIME_OUT_OF_RANGE)
        return value

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalTimeField(serializers.Field[Any, Any, Any, Any]):
    """Read-only: an instant shown in the timezone named by the instance's `zone_source`."""

    def __init__(self, *, zone_source: str, **kwargs: Any) -> None:
        self.zone_source = zone_source
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> tuple[datetime, str] | None:
        value = super().get_attribute(instance)
        return None if value is None else (value, getattr(instance, self.zone_source))

    def to_representation(self, value: tuple[datetime, str]) -> str:
        instant, name = value
        return instant.astimezone(zone(name or "UTC")).isoformat()

    def fast_representation(self, instance: Any, value: datetime, context: Any) -> str:
        """The same string (`lms.core.rendering`: `value` is the instant at `source`)."""
        return self.to_representation((value, getattr(instance, self.zone_source)))


class RenderedURLField(serializers.URLField):
    """A model's URLField in an answer, rendered by `lms.core.rendering` as DRF does."""

    def fast_representation(self, instance: Any, value: Any, context: Any) -> str:
        return str(value)


class TimezoneField(serializers.ChoiceField):
    """One of TIMEZONES (the document's enum). A serializer deep-copies its declared fields
    for every instance, and DRF copies a ChoiceField by building it anew: its ~600 choices
    into two dicts, on every request (0.2 ms of a search). The choices never change, so a
    copy of this field shares them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TIMEZONES, **kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> TimezoneField:
        return copy.copy(self)


# --- tutors ----------------------------------------------------------------------------------


def exactly(pattern: str, message: str) -> RegexValidator:
    """A validator the whole value must match (`\\A...\\Z`), which drf-spectacular documents
    as the ECMA pattern `^(?:...)$`: the server accepts exactly what the document says (the
    patterns here use explicit ASCII classes, which mean the same in both regex dialects)."""
    return RegexValidator(rf"\A(?:{pattern})\Z", message=message, code="invalid")


# Query values as the document gives them: exact ASCII patterns, no surrounding spaces.
RATING = r"[0-4](?:\.[0-9]{1,2})?|5(?:\.0{1,2})?"  # 0 to 5, <= 2 decimals
DATE = r"(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"


@extend_schema_field({"type": "string", "format": "date"})
class QueryDateField(serializers.CharField):
    """`YYYY-MM-DD` from 1970 to 2999, exactly (the document's pattern and `format: date`;
    `date.fromisoformat` alone would also read `20261201` and week dates). The serializer
    turns it into a `date` (`validate_<name>`), 400 for a day the calendar lacks."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.append(exactly(DATE, "Give a date from 1970 to 2999 as YYYY-MM-DD."))


def calendar_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise serializers.ValidationError("Not a date of the calendar.", code="invalid") from None


class TutorSearchSerializer(serializers.Serializer[Any]):
    """`GET /tutors/` filters. Every value is checked exactly as documented: a bad one is 400
    (`validation_error`, `attr` the parameter), never ignored."""

    skill = serializers.CharField(
        required=False,
        max_length=100,
        trim_whitespace=False,
        help_text="One of the tutor's skills, case-insensitive; surrounding spaces are ignored",
    )
    language = serializers.CharField(
        required=False,
        max_length=50,
        trim_whitespace=False,
        help_text="One of the tutor's languages, case-insensitive; surrounding spaces are ignored",
    )
    # read as a body's amount (lms.core.serializers.query_amount): 400 `invalid_amount`
    price_max = AmountInputField(
        required=False,
        help_text="Highest hourly rate, in each tutor's own currency (e.g. `45` or `45.50`; at "
        "most 9 digits and 3 decimals, else 400 `invalid_amount`)",
    )
    rating_min = serializers.CharField(
        required=False,
        trim_whitespace=False,
        validators=[exactly(RATING, "A rating from 0 to 5 with up to 2 decimals.")],
        help_text="Lowest exact mean rating, 0 to 5 (e.g. `4.5`); tutors without ratings "
        "match only 0",
    )
    available_on = QueryDateField(
        required=False,
        help_text="A local date (in `tz`, else the caller's profile timezone, else UTC) with "
        "at least one free window of 15 minutes or more that booking accepts (from now plus "
        "the tutor's minimum notice, up to BOOKING_HORIZON_DAYS ahead)",
    )
    tz = TimezoneField(required=False, help_text="The viewer's IANA timezone")

    def validate_skill(self, value: str) -> str:
        return value.strip()

    def validate_language(self, value: str) -> str:
        return value.strip()

    def validate_available_on(self, value: str) -> date:
        return calendar_date(value)

    def validate_rating_min(self, value: str) -> Decimal:
        return Decimal(value)


MAX_WINDOW_DAYS = 62


class WindowQuerySerializer(serializers.Serializer[Any]):
    """`from`/`to` of a tutor's free time, at most MAX_WINDOW_DAYS. The defaults are filled
    first (`from`: now; `to`: `from` + 7 days), then the window is checked whichever ends were
    given: `to` not after `from` is `invalid_time_range`, longer than 62 days
    `range_too_long` (both on `to`); nothing is replaced silently. `validated_data` holds
    both ends."""

    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)
    tz = TimezoneField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start") or timezone.now()
        end = attrs.get("end") or start + timedelta(days=7)
        if end <= start:
            raise serializers.ValidationError(
                {"to": "`to` must be after `from` (default: now)."},
                code=TutoringError.INVALID_TIME_RANGE,
            )
        if end - start > timedelta(days=MAX_WINDOW_DAYS):
            raise serializers.ValidationError(
                {"to": f"Ask for at most {MAX_WINDOW_DAYS} days at once."},
                code=TutoringError.RANGE_TOO_LONG,
            )
        attrs["start"], attrs["end"] = start, end
        return attrs


class StringListField(serializers.ListField):
    """A list of strings, rendered by `lms.core.rendering` as DRF renders it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(), **kwargs)

    def fast_representation(self, instance: Any, value: Any, context: Any) -> list[str | None]:
        return [None if item is None else str(item) for item in value]


class RatingField(serializers.DecimalField):
    """A mean rating, 0.00 to 5.00, as a JSON number (API.md: ratings are numbers, only money
    is a decimal string), rounded to 2 decimals from the exact mean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=3, decimal_places=2, coerce_to_string=False, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return float(super().to_representation(value))

    def fast_representation(self, instance: Any, value: Any, context: Any) -> Any:
        return None if value is None else self.to_representation(value)


# Rendered with `lms.core.rendering.render` (every field has a fast path).
class TutorCardSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    avatar = FileUrlField()
    headline = serializers.CharField()
    skills = StringListField()
    languages = StringListField()
    hourly_rate = AmountField()
    currency = serializers.CharField()
    timezone = serializers.CharField()
    rating = RatingField(allow_null=True)
    testimonial_count = serializers.IntegerField()


class FreeWindowSerializer(serializers.Serializer[Any]):
    slot_id = serializers.UUIDField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    timezone = serializers.CharField(help_text="The viewer's timezone (`tz`, or their profile's)")
    start_local = AwareDateTimeField(read_only=True)
    end_local = AwareDateTimeField(read_only=True)
    tutor_timezone = serializers.CharField()
    tutor_start_local = AwareDateTimeField(read_only=True)
    tutor_end_local = AwareDateTimeField(read_only=True)


class TutorDetailSerializer(serializers.Serializer[Any]):
    tutor = TutorCardSerializer(source="card")
    bio = serializers.CharField()
    buffer_minutes = serializers.IntegerField()
    min_notice_minutes = serializers.IntegerField()
    free_slots = FreeWindowSerializer(many=True)


# --- availability ------------------------------------------------------------------------------


class SlotInputSerializer(serializers.Serializer[Any]):
    start = AwareDateTimeField()
    end = AwareDateTimeField()


class SlotSerializer(serializers.ModelSerializer[AvailabilitySlot]):
    weekly_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = AvailabilitySlot
        fields = ["id", "start", "end", "weekly_id", "created_at"]


class WeeklyInputSerializer(serializers.Serializer[Any]):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 Monday .. 6 Sunday")
    start_time = serializers.TimeField(help_text="Wall-clock time in the tutor's timezone")
    duration_minutes = serializers.IntegerField(min_value=MIN_MINUTES, max_value=MAX_MINUTES)
    starts_on = serializers.DateField(required=False, validators=[_check_date_range])
    ends_on = serializers.DateField(required=False, allow_null=True, validators=[_check_date_range])
    timezone = TimezoneField(required=False)


class WeeklySerializer(serializers.ModelSerializer[WeeklyAvailability]):
    class Meta:
        model = WeeklyAvailability
        fields = [
            "id", "weekday", "start_time", "duration_minutes", "timezone", "starts_on",
            "ends_on", "expanded_until", "created_at",
        ]  # fmt: skip


class WeeklyCreatedSerializer(WeeklySerializer):
    """The answer to `POST /availability-weekly/`: the rule and how many slots it made at once
    (the list of rules has no such count)."""

    slots_created = serializers.IntegerField(
        read_only=True, min_value=0, help_text="Slots made from the rule now (the next 56 days)"
    )

    class Meta(WeeklySerializer.Meta):
        fields = [*WeeklySerializer.Meta.fields, "slots_created"]


class TutorSettingsSerializer(serializers.ModelSerializer[TutorSettings]):
    class Meta:
        model = TutorSettings
        fields = ["buffer_minutes", "min_notice_minutes"]
        extra_kwargs = {
            "buffer_minutes": {"min_value": 0, "max_value": 240},
            "min_notice_minutes": {"min_value": 0, "max_value": 60 * 24 * 14},
        }


# --- bookings ----------------------------------------------------------------------------------


class BookingInputSerializer(serializers.Serializer[Any]):
    """`{slot_id}` or `{tutor_id, start, duration_minutes}`; both at once: 400
    `ambiguous_booking`."""

    required_together = [("slot_id",), ("tutor_id", "start", "duration_minutes")]  # anyOf

    slot_id = serializers.UUIDField(required=False)
    tutor_id = serializers.UUIDField(required=False)
    start = AwareDateTimeField(required=False)
    duration_minutes = serializers.IntegerField(
        required=False,
        min_value=MIN_MINUTES,
        max_value=MAX_MINUTES,
        help_text=f"{MIN_MINUTES} to {MAX_MINUTES} minutes: fewer is 400 `min_value`, more "
        "400 `max_value` (the field's minimum and maximum)",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("slot_id"):
            if any(attrs.get(f) is not None for f in ("tutor_id", "start", "duration_minutes")):
                raise serializers.ValidationError(
                    "Give slot_id alone, or tutor_id, start and duration_minutes.",
                    code=TutoringError.AMBIGUOUS_BOOKING,
                )
            return attrs
        missing = [f for f in ("tutor_id", "start", "duration_minutes") if attrs.get(f) is None]
        if missing:
            raise serializers.ValidationError(
                dict.fromkeys(missing, "This field is required without slot_id."),
                code="required",
            )
        return attrs


class RescheduleInputSerializer(serializers.Serializer[Any]):
    start = AwareDateTimeField()


class CancelInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


# A meeting link: http(s), an ASCII host name or address, an optional port, then printable
# ASCII (no spaces); a link in another form (an IDN host) is given in its punycode form.
MEETING_URL = (
    r"https?://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*"
    r"[A-Za-z0-9])?)*(?::[0-9]{1,5})?(?:[/?#][!-~]*)?"
)


class BookingUpdateSerializer(serializers.Serializer[Any]):
    """`PATCH /bookings/{id}/`: `meeting_url` is required (the only field a booking takes
    from a client); other fields are ignored."""

    meeting_url = serializers.CharField(
        max_length=500,
        allow_blank=True,
        trim_whitespace=False,
        validators=[exactly(MEETING_URL, 'Give an http(s) link without spaces, or "".')],
        help_text='The lesson\'s link (http or https, ASCII, up to 500 characters); "" '
        "generates a new room URL",
    )


class BookingListQuerySerializer(serializers.Serializer[Any]):
    """`GET /bookings/` filters; a value outside the enum is 400 (`attr` names it)."""

    role = serializers.ChoiceField(
        choices=["student", "tutor"],
        required=False,
        help_text="Only the caller's bookings as the student, or as the tutor (default both)",
    )
    status = serializers.ChoiceField(choices=BookingStatus.choices, required=False)


class BookingPersonSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField(source="full_name")


# A ModelSerializer mixin: the fields its Meta describes are built from the model once per
# class and process, then copied for each instance (as a plain Serializer copies its declared
# fields). ModelSerializer otherwise maps every model field again on each instance: 1.0 ms for
# BookingSerializer against 0.5 ms for the copy, on every booking answer. Only for a
# serializer whose fields do not depend on its context or instance. (A comment, not a
# docstring: drf-spectacular would publish a docstring as each schema's description.)
class FieldsBuiltOnce:
    _built: ClassVar[dict[type, dict[str, serializers.Field[Any, Any, Any, Any]]]] = {}

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        built = FieldsBuiltOnce._built.get(type(self))
        if built is None:
            built = FieldsBuiltOnce._built[type(self)] = super().get_fields()  # type: ignore[misc]
        return copy.deepcopy(built)


# The creation's answer is rendered with `lms.core.rendering.render`: every field has a fast
# path (the URL field is DRF's with one). A comment: drf-spectacular publishes docstrings.
class BookingSerializer(FieldsBuiltOnce, serializers.ModelSerializer[Booking]):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.URLField: RenderedURLField,
    }
    student = BookingPersonSerializer()
    tutor = BookingPersonSerializer()
    slot_id = serializers.UUIDField(allow_null=True)
    tutor_start_local = LocalTimeField(source="start", zone_source="tutor_timezone")
    tutor_end_local = LocalTimeField(source="end", zone_source="tutor_timezone")
    hourly_rate = AmountField()
    price = AmountField()
    platform_fee = AmountField()
    tutor_earning = AmountField()

    class Meta:
        model = Booking
        fields = [
            "id", "status", "student", "tutor", "slot_id", "start", "end", "duration_minutes",
            "tutor_timezone", "tutor_start_local", "tutor_end_local", "hourly_rate", "price",
            "platform_fee", "tutor_earning", "currency", "refund_cutoff_hours", "expires_at",
            "order_id", "paid_at", "confirmed_at", "completed_at", "cancelled_at",
            "cancel_reason", "refunded_at", "meeting_url", "sequence", "created_at",
        ]  # fmt: skip


# --- testimonials ------------------------------------------------------------------------------


class TestimonialInputSerializer(serializers.Serializer[Any]):
    tutor_id = serializers.UUIDField()
    booking_id = serializers.UUIDField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class TestimonialSerializer(serializers.ModelSerializer[Testimonial]):
    student = BookingPersonSerializer()
    tutor_id = serializers.UUIDField()
    booking_id = serializers.UUIDField()

    class Meta:
        model = Testimonial
        fields = ["id", "tutor_id", "booking_id", "student", "rating", "comment", "created_at"]
