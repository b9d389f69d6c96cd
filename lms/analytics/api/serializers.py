"""Input (the period parameters) and the one output shape of each analytics answer."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.core.money import amount_string
from lms.core.serializers import AmountField

from ..periods import (
    DAY,
    EARLIEST,
    GRANULARITIES,
    LATEST_AHEAD,
    MAX_PERIODS,
    Periods,
    count_between,
)

FORMATS = ("json", "csv")


class PeriodInputSerializer(serializers.Serializer[dict[str, Any]]):
    """`?from=&to=&granularity=&format=`: local dates in the user's timezone, both included.

    The defaults are filled first (`to`: today in `tz`; `from`: DEFAULT_PERIODS back from
    `to`), then every range is checked, whichever parameters were given: both dates within
    EARLIEST..today + LATEST_AHEAD (`out_of_range`), `from` not after `to` (`invalid_range`),
    at most MAX_PERIODS periods (`range_too_long`). `validated_data` holds both dates."""

    # `from` is a Python keyword: the field is declared under its query name below.
    to = serializers.DateField(required=False)
    granularity = serializers.ChoiceField(choices=GRANULARITIES, required=False)
    format = serializers.ChoiceField(choices=FORMATS, required=False, default="json")

    def __init__(
        self,
        *args: Any,
        default_granularity: str = DAY,
        tz: zoneinfo.ZoneInfo | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = serializers.DateField(required=False)
        self.fields["granularity"].default = default_granularity
        self.tz = tz or zoneinfo.ZoneInfo("UTC")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        granularity = str(attrs.get("granularity") or self.fields["granularity"].default)
        attrs["granularity"] = granularity
        today = datetime.now(self.tz).date()
        latest = today + LATEST_AHEAD
        for name in ("from", "to"):
            given: date | None = attrs.get(name)
            if given is not None and not EARLIEST <= given <= latest:
                raise serializers.ValidationError(
                    {name: f"Choose a day from {EARLIEST.isoformat()} to {latest.isoformat()}."},
                    code="out_of_range",
                )
        end: date = attrs.get("to") or today
        start: date | None = attrs.get("from")
        if start is None:
            start = Periods.build(tz=self.tz, granularity=granularity, end=end).first
        if start > end:
            raise serializers.ValidationError(
                {"from": "`from` must not be after `to`."}, code="invalid_range"
            )
        if count_between(start, end, granularity) > MAX_PERIODS:
            raise serializers.ValidationError(
                {"from": f"At most {MAX_PERIODS} periods; choose a coarser granularity."},
                code="range_too_long",
            )
        attrs["from"], attrs["to"] = start, end
        return attrs


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field[Any, Any, Any, Any]):
    """A count stays an integer, an average a float."""

    def to_representation(self, value: Any) -> Any:
        return value


class DatasetSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]
    data = serializers.ListField(child=NumberField())  # type: ignore[assignment]


class SeriesSerializer(serializers.Serializer[Any]):
    """`{labels, datasets: [{label, data}]}`: one value per label, zeros where nothing
    happened."""

    labels = serializers.ListField(child=serializers.CharField())
    datasets = DatasetSerializer(many=True)


class MoneyDataField(serializers.ListField):
    """Amounts as decimal strings in the dataset's currency."""

    child = serializers.CharField()

    def get_attribute(self, instance: Any) -> Any:
        return [amount_string(value, instance.currency) for value in instance.data]

    def to_representation(self, data: Any) -> list[str]:
        return list(data)


class MoneyDatasetSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]
    currency = serializers.CharField()
    data = MoneyDataField()  # type: ignore[assignment]


class MoneySeriesSerializer(serializers.Serializer[Any]):
    labels = serializers.ListField(child=serializers.CharField())
    datasets = MoneyDatasetSerializer(many=True)


class RevenueSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    gross = AmountField()
    fees = AmountField()
    net = AmountField()


class MoneyTotalSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    amount = AmountField()


class DistributionSerializer(serializers.Serializer[Any]):
    labels = serializers.ListField(child=serializers.CharField())
    counts = serializers.ListField(child=serializers.IntegerField())


# --- student ----------------------------------------------------------------------------------


class CourseProgressSerializer(serializers.Serializer[Any]):
    course_id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.CharField()
    progress_percent = serializers.FloatField()
    completed_lessons = serializers.IntegerField()
    total_lessons = serializers.IntegerField()
    enrolled_at = serializers.DateTimeField()


class CertificateLineSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    code = serializers.CharField()
    course_title = serializers.CharField()
    issued_at = serializers.DateTimeField()


class StudentAnalyticsSerializer(serializers.Serializer[Any]):
    timezone = serializers.CharField()
    granularity = serializers.CharField()
    courses = CourseProgressSerializer(many=True)
    quiz_scores = SeriesSerializer()
    study_minutes = SeriesSerializer()
    current_streak = serializers.IntegerField()
    longest_streak = serializers.IntegerField()
    certificate_count = serializers.IntegerField()
    certificates = CertificateLineSerializer(many=True)


# --- instructor and course ----------------------------------------------------------------------


class LessonRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()


class FunnelStepSerializer(serializers.Serializer[Any]):
    lesson_id = serializers.UUIDField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    completed = serializers.IntegerField()
    drop = serializers.IntegerField()


class CourseFiguresSerializer(serializers.Serializer[Any]):
    course_id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.CharField()
    enrollments = serializers.IntegerField()
    completed = serializers.IntegerField()
    completion_rate = serializers.FloatField()
    average_rating = serializers.FloatField()
    reviews = serializers.IntegerField()
    drop_off_lesson = LessonRefSerializer(allow_null=True)
    revenue = RevenueSerializer(many=True)


class QuizPassRateSerializer(serializers.Serializer[Any]):
    quiz_id = serializers.UUIDField()
    lesson_title = serializers.CharField()
    course_title = serializers.CharField()
    attempts = serializers.IntegerField()
    passed = serializers.IntegerField()
    pass_rate = serializers.FloatField()


class TutoringSerializer(serializers.Serializer[Any]):
    sessions = serializers.IntegerField()
    hours = serializers.FloatField()
    earnings = RevenueSerializer(many=True)


class InstructorAnalyticsSerializer(serializers.Serializer[Any]):
    timezone = serializers.CharField()
    granularity = serializers.CharField()
    total_courses = serializers.IntegerField()
    published_courses = serializers.IntegerField()
    total_enrollments = serializers.IntegerField()
    average_rating = serializers.FloatField()
    total_reviews = serializers.IntegerField()
    revenue = RevenueSerializer(many=True)
    rating_distribution = DistributionSerializer()
    enrollments = SeriesSerializer()
    revenue_series = MoneySeriesSerializer()
    courses = CourseFiguresSerializer(many=True)
    quiz_pass_rates = QuizPassRateSerializer(many=True)
    tutoring = TutoringSerializer()


class CourseAnalyticsSerializer(serializers.Serializer[Any]):
    timezone = serializers.CharField()
    granularity = serializers.CharField()
    course = CourseFiguresSerializer()
    enrollments = SeriesSerializer()
    funnel = FunnelStepSerializer(many=True)
    rating_distribution = DistributionSerializer()
    revenue_series = MoneySeriesSerializer()


# --- platform ---------------------------------------------------------------------------------


class PendingApprovalsSerializer(serializers.Serializer[Any]):
    instructor_applications = serializers.IntegerField()
    courses = serializers.IntegerField()
    withdrawals = serializers.IntegerField()


class RefundsSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    amounts = MoneyTotalSerializer(many=True)


class PlatformAnalyticsSerializer(serializers.Serializer[Any]):
    timezone = serializers.CharField()
    granularity = serializers.CharField()
    total_users = serializers.IntegerField()
    users_by_role = DistributionSerializer()
    user_growth = SeriesSerializer()
    courses_by_status = DistributionSerializer()
    total_enrollments = serializers.IntegerField()
    enrollments = SeriesSerializer()
    revenue = RevenueSerializer(many=True)
    revenue_series = MoneySeriesSerializer()
    refunds = RefundsSerializer()
    refund_series = MoneySeriesSerializer()
    pending_approvals = PendingApprovalsSerializer()
    open_tickets_by_priority = DistributionSerializer()
    users_by_university = DistributionSerializer(
        help_text="Active users affiliated with each university (verified or not), most first."
    )
