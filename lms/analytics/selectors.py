"""Every analytics figure, computed in the database.

Counts, sums and averages are SQL aggregates, series are `GROUP BY` over a date truncated in
the user's timezone (`periods.Periods.trunc`), the funnel's order is a window function;
Python only places the aggregated rows on the time axis (`Periods.fill`, zeros where no row
came back) and wraps them in read models. Each selector runs a fixed number of queries,
whatever the data (tests assert it).

Money comes from payouts' ledger, never from orders: a sale (`TransactionKind.SALE`) and its
refund reversal (`SALE_REVERSAL`) move
- `platform_clearing`: minus the price paid (so gross = minus the clearing legs),
- `platform_revenue`: the platform fee (fees),
- the instructors' accounts: each instructor's share (net).
A reversal posts the opposite legs, so every figure is net of refunds. For an instructor,
gross and fees are those of the sales they have a share in, net is their own share (with
co-instructors, gross - fees - net is the others' part). Sales are placed in time by the
ledger transaction's `created_at`. docs/analytics.md has every definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DecimalField,
    DurationField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    UUIDField,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import (
    Cast,
    Coalesce,
    Lag,
    Replace,
    RowNumber,
    TruncDate,
)

from lms.accounts.models import InstructorApplication, Role, University, User
from lms.assessments.models import Attempt, Quiz
from lms.catalog.models import Course, CourseStatus, Lesson
from lms.commerce.models import OrderItem, Refund, RefundStatus
from lms.community.models import Review, Visibility
from lms.core.ids import as_uuid
from lms.learning.models import (
    ACCESS_STATUSES,
    ActivityEvent,
    Certificate,
    Enrollment,
    EnrollmentStatus,
)
from lms.learning.selectors import count_of, live_percent, streaks, with_live_progress
from lms.payouts.models import (
    INSTRUCTOR_ACCOUNTS,
    Account,
    LedgerEntry,
    TransactionKind,
    Withdrawal,
)
from lms.support.models import Ticket, TicketPriority, TicketStatus
from lms.tutoring.models import Booking, BookingStatus

from . import rollups
from .models import (
    BUCKET_MINUTES,
    NONE,
    CourseEnrollments,
    EnrollmentBuckets,
    EnrollmentDays,
    LessonCompletions,
    RevenueBucket,
    RevenueTotal,
)
from .periods import Periods, zone_of
from .read_models import (
    CertificateLine,
    CourseAnalytics,
    CourseFigures,
    CourseProgress,
    Dataset,
    Distribution,
    FunnelStep,
    InstructorAnalytics,
    LessonRef,
    MoneyDataset,
    MoneySeries,
    MoneyTotal,
    PendingApprovals,
    PlatformAnalytics,
    QuizPassRate,
    Refunds,
    Revenue,
    Series,
    StudentAnalytics,
    Tutoring,
)

MONEY = DecimalField(max_digits=18, decimal_places=3)
ZERO = Decimal(0)
RATINGS = ("1", "2", "3", "4", "5")
ORDER_ITEM = "commerce.orderitem"
BOOKING_KIND = "booking"  # lms.tutoring.services.earnings.BOOKING_KIND
OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


def user_zone(user: Any) -> Any:
    """The user's timezone: their student profile's, else their instructor profile's, else
    UTC (one query)."""
    row: Mapping[str, Any] = (
        User.objects.filter(pk=user.pk)
        .values("student_profile__timezone", "instructor_profile__timezone")
        .first()
        or {}
    )
    return zone_of(row.get("student_profile__timezone"), row.get("instructor_profile__timezone"))


# --- helpers ----------------------------------------------------------------------------------


def _percent(part: Any, whole: Any) -> Case:
    """`100 * part / whole` as a float in SQL, 0 when `whole` is 0."""
    return Case(
        When(
            **{f"{whole}__gt": 0},
            then=Cast(F(part), FloatField()) * Value(100.0) / Cast(F(whole), FloatField()),
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )


def _money_sum(condition: Q, value: Any) -> Coalesce:
    return Coalesce(
        Sum(Case(When(condition, then=value), default=Value(ZERO), output_field=MONEY)),
        Value(ZERO),
        output_field=MONEY,
    )


_GROSS = _money_sum(Q(account=Account.PLATFORM_CLEARING), -F("amount"))
_FEES = _money_sum(Q(account=Account.PLATFORM_REVENUE), F("amount"))
_NET = _money_sum(Q(account__in=INSTRUCTOR_ACCOUNTS), F("amount"))
_REFUNDED = _money_sum(Q(account=Account.PLATFORM_CLEARING), F("amount"))


def _earning_legs() -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        transaction__kind__in=(TransactionKind.SALE, TransactionKind.SALE_REVERSAL)
    )


def _instructor_legs(instructor_id: Any) -> QuerySet[LedgerEntry]:
    """The platform legs and the instructor's own legs of every sale (and reversal) they
    have a share in."""
    shared = LedgerEntry.objects.filter(wallet__instructor_id=instructor_id).values(
        "transaction_id"
    )
    return _earning_legs().filter(
        Q(wallet__isnull=True) | Q(wallet__instructor_id=instructor_id),
        transaction_id__in=shared,
    )


def _order_item_pk() -> Any:
    """The sale's `reference_id` (a UUID's text) as an order item's key: a cast to uuid on
    PostgreSQL, the hyphen-less hex Django stores on SQLite."""
    ref = OuterRef("sale_reference_id")
    if connection.vendor == "postgresql":
        return Cast(ref, UUIDField())
    return Replace(ref, Value("-"), Value(""))


def _order_item(field: str) -> Subquery:
    return Subquery(OrderItem.objects.filter(pk=_order_item_pk()).values(field)[:1])


def _with_order_item(legs: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """Legs of sales of order items, annotated with the item's `item_kind` and
    `item_course`; a reversal is the sale it reverses (its own reference is the refund)."""
    return (
        legs.annotate(
            sale_reference_type=Coalesce(
                "transaction__reverses__reference_type", "transaction__reference_type"
            ),
            sale_reference_id=Coalesce(
                "transaction__reverses__reference_id", "transaction__reference_id"
            ),
        )
        .filter(sale_reference_type=ORDER_ITEM)
        .annotate(item_kind=_order_item("kind"), item_course=_order_item("course_id"))
    )


def _revenue_rows(rows: Iterable[Mapping[str, Any]]) -> list[Revenue]:
    return [
        Revenue(currency=row["currency"], gross=row["gross"], fees=row["fees"], net=row["net"])
        for row in rows
    ]


def revenue_totals(legs: QuerySet[LedgerEntry]) -> list[Revenue]:
    """Gross, fees and net by currency over `legs` (one query)."""
    rows = (
        legs.order_by()
        .values("currency")
        .annotate(gross=_GROSS, fees=_FEES, net=_NET)
        .order_by("currency")
    )
    return _revenue_rows(rows)


def revenue_series(
    legs: QuerySet[Any],
    periods: Periods,
    *,
    labels: Iterable[str] = ("gross", "fees", "net"),
    field: str = "transaction__created_at",
    sums: Mapping[str, Any] | None = None,
) -> MoneySeries:
    """Gross, fees and net per period, one dataset per figure and currency (one query).

    `legs` are ledger legs placed by `field`, or rollup buckets (`field="bucket"`) with
    their own `sums` (`_rollup_sums`)."""
    rows = (
        legs.filter(**periods.within(field))
        .order_by()
        .annotate(period=periods.trunc(field))
        .values("period", "currency")
        .annotate(**(sums or {"gross": _GROSS, "fees": _FEES, "net": _NET}))
    )
    by_currency: dict[str, dict[str, dict[date, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        key = periods.key(row["period"])
        for label in labels:
            by_currency[row["currency"]][label][key] = row[label]  # type: ignore[index]
    return MoneySeries(
        labels=periods.labels(),
        datasets=[
            MoneyDataset(
                label=label,
                currency=currency,
                data=periods.fill(by_currency[currency][label], ZERO),
            )
            for currency in sorted(by_currency)
            for label in labels
        ],
    )


# --- rollups (PostgreSQL) ---------------------------------------------------------------------
# The same figures from lms/analytics/models.py's running totals: a few hundred or thousand
# rows instead of every ledger leg, progress row and enrollment (docs/analytics.md, "Speed").


def _rollup_sum(field: str, **condition: Any) -> Coalesce:
    filtered = Q(**condition) if condition else None
    return Coalesce(Sum(field, filter=filtered), Value(ZERO), output_field=MONEY)


def _rollup_sums(*, viewer: Any = None) -> dict[str, Any]:
    """Sums over rollup rows of one view; with `viewer`, the course view: gross and fees of
    every sale of the course (the platform's view), net the viewer's own share."""
    if viewer is None:
        return {name: _rollup_sum(name) for name in ("gross", "fees", "net")}
    return {
        "gross": _rollup_sum("gross", scope_id=NONE),
        "fees": _rollup_sum("fees", scope_id=NONE),
        "net": _rollup_sum("net", scope_id=viewer),
    }


def _rollup_totals(rows: QuerySet[Any], *, viewer: Any = None) -> list[Revenue]:
    """Gross, fees and net by currency over rollup rows (one query)."""
    return _revenue_rows(
        rows.order_by()
        .values("currency")
        .annotate(**_rollup_sums(viewer=viewer))
        .order_by("currency")
    )


def _rollup_series(
    rows: QuerySet[RevenueBucket], periods: Periods, *, viewer: Any = None
) -> MoneySeries:
    return revenue_series(rows, periods, field="bucket", sums=_rollup_sums(viewer=viewer))


def _rollup_course_revenue(scope: Any) -> dict[tuple[str, Any], list[Revenue]]:
    """`_course_revenue` of an instructor's view from `RevenueTotal` (one query)."""
    rows = (
        RevenueTotal.objects.filter(scope_id=scope)
        .order_by()
        .values("item_kind", "course_id", "currency")
        .annotate(**_rollup_sums())
        .order_by("currency")
    )
    out: dict[tuple[str, Any], list[Revenue]] = defaultdict(list)
    for row in rows:
        course = None if row["course_id"] == NONE else str(row["course_id"])
        out[(row["item_kind"] or None, course)].extend(_revenue_rows([row]))  # type: ignore[index]
    return out


def count_series(queryset: QuerySet[Any], field: str, periods: Periods, *, label: str) -> Series:
    """How many rows of `queryset` fall in each period by `field` (one query)."""
    rows = (
        queryset.filter(**periods.within(field))
        .order_by()
        .annotate(period=periods.trunc(field))
        .values("period")
        .annotate(n=Count("pk"))
        .values_list("period", "n")
    )
    counts = {periods.key(period): n for period, n in rows}
    return Series(
        labels=periods.labels(), datasets=[Dataset(label=label, data=periods.fill(counts))]
    )


# More days cut by a period's edge than this (a by-day series outside UTC): the far sides of
# the midnights are read over the whole range instead of one range per cut day.
MAX_EDGE_DAYS = 62
NOON = timedelta(hours=12)


def _enrollments_per_period(rows: QuerySet[Any], periods: Periods, field: str | Expression) -> Any:
    """`rows` (a rollup) grouped by the period of `field`: (period, sum of enrollments)."""
    return (
        rows.order_by()
        .annotate(period=periods.trunc(field))
        .values("period")
        .annotate(n=Sum("enrollments"))
        .values_list("period", "n")
    )


def _inline(value: datetime | timedelta | int) -> RawSQL:
    """`value` written into the query's text (PostgreSQL), not sent as a parameter.

    For the far sides of the midnights only: psycopg prepares a query run twice on a
    connection, and after five runs PostgreSQL may keep a generic plan for it, planned
    without the parameters' values. For that query the generic plan looked cheaper (105
    rows estimated instead of 13,000) and took twice as long (bench, by day over 365 days:
    a bitmap scan rechecking 98,837 buckets, the period array cast again per row, 40-80 ms
    against 17-25 ms). With the range, the quarter and the instants in its text, every plan
    of it is planned with them. Only datetimes (as UTC isoformat), durations (as whole
    seconds) and integers: nothing a user typed reaches the text."""
    if isinstance(value, datetime):
        text = f"'{value.astimezone(UTC).isoformat()}'::timestamptz"
        return RawSQL(text, (), _INLINE_FIELDS[0])  # noqa: S611 (formatted here, no input)
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return RawSQL(f"'{seconds} seconds'::interval", (), _INLINE_FIELDS[1])  # noqa: S611
    return RawSQL(str(int(value)), (), _INLINE_FIELDS[2])  # noqa: S611


# One output field of each kind for every inlined value (a Field is slow to build).
_INLINE_FIELDS = (DateTimeField(), DurationField(), IntegerField())


def _midnight_sides(periods: Periods, *, exact: bool) -> Q:
    """The 15-minute buckets on the far side of a local midnight from their UTC day's noon:
    before each cut that comes before noon, after each cut that comes after it. `exact`:
    one `bucket` range per cut (an index range each, for a few cuts); else a superset by
    `quarter` of the UTC day (one index range per course, for many); a bucket on noon's
    side moves nowhere, so a superset counts the same. Only the form asked for is built
    (366 ranges of two inlined instants each cost more than the query they are not in)."""
    ranges: list[Q] = []
    before: list[int] = []
    after: list[int] = []
    noon = NOON // timedelta(minutes=BUCKET_MINUTES)
    for moment in [*periods.boundaries(), periods.until()]:
        cut = moment.astimezone(UTC)
        quarter = (cut.hour * 60 + cut.minute) // BUCKET_MINUTES
        if quarter == 0:
            continue  # a UTC midnight cuts no day
        day = cut.replace(hour=0, minute=0)
        # noon itself is on the cut's later side (a midnight at 12:00 UTC: New Zealand)
        if quarter <= noon:
            before.append(quarter)
            if exact:
                ranges.append(Q(bucket__gte=_inline(day), bucket__lt=_inline(cut)))
        else:
            after.append(quarter)
            if exact:
                end = day + timedelta(days=1)
                ranges.append(Q(bucket__gte=_inline(cut), bucket__lt=_inline(end)))
    if exact:  # one OR of every range (`|=` in a loop copies the growing Q each time)
        return Q(*ranges, _connector=Q.OR) if ranges else Q(pk__in=[])
    # one side only where it can (New York: before; Kolkata: after): a single index range,
    # read index-only, where an OR of two is a bitmap scan rechecking every heap row
    sides = [Q(quarter__lt=_inline(max(before)))] if before else []
    sides += [Q(quarter__gte=_inline(min(after)))] if after else []
    return Q(*sides, _connector=Q.OR) if sides else Q(pk__in=[])


def enrollment_series(
    enrollments: QuerySet[Enrollment],
    days: QuerySet[EnrollmentDays],
    buckets: QuerySet[EnrollmentBuckets],
    periods: Periods,
) -> Series:
    """Enrollments (not revoked) per period.

    On PostgreSQL from the rollups of the same courses (`days`, `buckets`), never the rows:
    each UTC day's count from `EnrollmentDays` goes to the period of its noon; then the
    15-minute buckets on the other side of a local midnight (Kolkata's 18:30 UTC, New
    York's 05:00 or 04:00) move from that period to their own (or out of the range). Those
    buckets are at most half a day's (five hours' for New York), read as one range per cut,
    or by their `quarter` of the day beyond MAX_EDGE_DAYS cut days; with no cut day (a zone
    whose midnights are UTC ones) there are none. One query, or two. On SQLite (no
    rollups) one grouped count of `enrollments`."""
    if not rollups.enabled():
        return count_series(enrollments, "enrolled_at", periods, label="enrollments")
    since, until = periods.since(), periods.until()
    first = since.astimezone(UTC).date()
    last = (until - timedelta(microseconds=1)).astimezone(UTC).date()
    # One row per UTC day (a date is hashed, not cast and searched per row), placed here.
    whole = (
        days.filter(day__gte=first, day__lte=last)
        .order_by()
        .values("day")
        .annotate(n=Sum("enrollments"))
        .values_list("day", "n")
    )
    counts: dict[date | None, int] = defaultdict(int)
    for day, n in whole:
        start = periods.start_of(datetime.combine(day, time.min, tzinfo=UTC) + NOON)
        if start is not None:
            counts[start] += n
    edges = periods.edge_days()
    if edges:
        if len(edges) <= MAX_EDGE_DAYS:
            parts = buckets.filter(_midnight_sides(periods, exact=True))
        else:
            parts = buckets.filter(
                _midnight_sides(periods, exact=False),
                bucket__gte=_inline(datetime.combine(first, time.min, tzinfo=UTC)),
                bucket__lt=_inline(
                    datetime.combine(last, time.min, tzinfo=UTC) + timedelta(days=1)
                ),
            )
        # the range, the quarter and the instants in the query's text (`_inline`)
        in_range = Q(bucket__gte=_inline(since), bucket__lt=_inline(until))
        quarters_in = ExpressionWrapper(
            F("quarter") * _inline(timedelta(minutes=BUCKET_MINUTES)), output_field=DurationField()
        )
        bucket_noon = ExpressionWrapper(  # the noon of the bucket's UTC day, by arithmetic
            F("bucket") - quarters_in + _inline(NOON), output_field=DateTimeField()
        )
        moved = (
            parts.order_by()
            .annotate(bucket_noon=bucket_noon)
            .annotate(
                period=Case(
                    When(in_range, then=periods.trunc("bucket", inline=True)), default=None
                ),
                from_period=Case(
                    When(
                        Q(bucket_noon__gte=_inline(since), bucket_noon__lt=_inline(until)),
                        then=periods.trunc("bucket_noon", inline=True),
                    ),
                    default=None,
                ),
            )
            .values("period", "from_period")
            .annotate(n=Sum("enrollments"))
            .values_list("period", "from_period", "n")
        )
        for period, from_period, n in moved:
            if period is not None:
                counts[periods.key(period)] += n
            if from_period is not None:
                counts[periods.key(from_period)] -= n
    return Series(
        labels=periods.labels(),
        datasets=[Dataset(label="enrollments", data=periods.fill(counts))],
    )


def _distribution(rows: Iterable[tuple[Any, int]], keys: Iterable[str]) -> Distribution:
    counts = {str(key): n for key, n in rows}
    keys = list(keys)
    return Distribution(labels=keys, counts=[counts.get(key, 0) for key in keys])


def rating_distribution(reviews: QuerySet[Review]) -> Distribution:
    """Visible reviews by star rating, 1 to 5 (one query)."""
    rows = (
        reviews.filter(visibility=Visibility.VISIBLE)
        .order_by()
        .values("rating")
        .annotate(n=Count("pk"))
        .values_list("rating", "n")
    )
    return _distribution(rows, RATINGS)


# --- student ----------------------------------------------------------------------------------


def student_analytics(*, user: Any, periods: Periods) -> StudentAnalytics:
    """Progress per course, quiz scores and study minutes per period, streaks and
    certificates of one user (six queries)."""
    enrollments = with_live_progress(
        Enrollment.objects.filter(student_id=user.pk).select_related("course")
    ).order_by("-enrolled_at", "-id")
    courses = [
        CourseProgress(
            course_id=enrollment.course_id,
            title=enrollment.course.title,
            status=enrollment.status,
            progress_percent=live_percent(enrollment),
            completed_lessons=enrollment.lessons_done,  # type: ignore[attr-defined]
            total_lessons=enrollment.lessons_total,  # type: ignore[attr-defined]
            enrolled_at=enrollment.enrolled_at,
        )
        for enrollment in enrollments
    ]
    attempt_rows = (
        Attempt.objects.filter(
            student_id=user.pk, submitted_at__isnull=False, **periods.within("submitted_at")
        )
        .order_by()
        .annotate(period=periods.trunc("submitted_at"))
        .values("period")
        .annotate(average=Avg(Cast("percent", FloatField())), n=Count("pk"))
    )
    averages: dict[date | None, float] = {}
    attempts: dict[date | None, int] = {}
    for row in attempt_rows:
        key = periods.key(row["period"])
        averages[key] = round(row["average"] or 0.0, 2)
        attempts[key] = row["n"]
    seconds_rows = (
        ActivityEvent.objects.filter(user_id=user.pk, **periods.within("occurred_at"))
        .order_by()
        .annotate(period=periods.trunc("occurred_at"))
        .values("period")
        .annotate(seconds=Sum("seconds"))
        .values_list("period", "seconds")
    )
    minutes = {periods.key(period): round((seconds or 0) / 60) for period, seconds in seconds_rows}
    days = (
        ActivityEvent.objects.filter(user_id=user.pk)
        .order_by()
        .annotate(day=TruncDate("occurred_at", tzinfo=periods.tz))
        .values_list("day", flat=True)
        .distinct()
    )
    run = streaks(list(days), today=datetime.now(periods.tz).date())
    certificates = [
        CertificateLine(
            id=row["id"],
            code=row["code"],
            course_title=row["course_title"],
            issued_at=row["issued_at"],
        )
        for row in Certificate.objects.filter(student_id=user.pk)
        .order_by("-issued_at", "-id")
        .values("id", "code", "course_title", "issued_at")
    ]
    labels = periods.labels()
    return StudentAnalytics(
        timezone=str(periods.tz),
        granularity=periods.granularity,
        courses=courses,
        quiz_scores=Series(
            labels=labels,
            datasets=[
                Dataset(label="average_score_percent", data=periods.fill(averages)),
                Dataset(label="attempts", data=periods.fill(attempts)),
            ],
        ),
        study_minutes=Series(
            labels=labels, datasets=[Dataset(label="minutes", data=periods.fill(minutes))]
        ),
        current_streak=run.current,
        longest_streak=run.longest,
        certificate_count=len(certificates),
        certificates=certificates,
    )


# --- instructor and course ----------------------------------------------------------------------


def courses_taught_by(instructor_id: Any) -> QuerySet[Course]:
    """Courses the instructor owns or co-teaches."""
    co_taught = Course.co_instructors.through.objects.filter(user_id=instructor_id).values(
        "course_id"
    )
    return Course.objects.filter(Q(instructor_id=instructor_id) | Q(pk__in=co_taught))


def _counted_enrollments() -> Q:
    return ~Q(status=EnrollmentStatus.REVOKED)


def _course_figures_rows(courses: QuerySet[Course]) -> QuerySet[Any]:
    """Per course: enrollments (not revoked), completed, completion rate, average rating and
    reviews (visible), in one query."""
    enrollments = Enrollment.objects.filter(course_id=OuterRef("pk")).exclude(
        status=EnrollmentStatus.REVOKED
    )
    visible = Review.objects.filter(course_id=OuterRef("pk"), visibility=Visibility.VISIBLE)
    average = (
        visible.order_by()
        .values("course_id")
        .annotate(average=Avg(Cast("rating", FloatField())))
        .values("average")[:1]
    )
    if rollups.enabled():
        counted = CourseEnrollments.objects.filter(course_id=OuterRef("pk"))
        n_enrollments: Any = Coalesce(Subquery(counted.values("enrollments")[:1]), Value(0))
        n_completed: Any = Coalesce(Subquery(counted.values("completed")[:1]), Value(0))
    else:
        n_enrollments = count_of(enrollments)
        n_completed = count_of(enrollments.filter(status=EnrollmentStatus.COMPLETED))
    return (
        courses.order_by("title", "id")
        .annotate(
            n_enrollments=n_enrollments,
            n_completed=n_completed,
            n_reviews=count_of(visible),
            average=Coalesce(Subquery(average, output_field=FloatField()), Value(0.0)),
        )
        .annotate(completion_rate=_percent("n_completed", "n_enrollments"))
        .values(
            "id",
            "title",
            "status",
            "n_enrollments",
            "n_completed",
            "n_reviews",
            "average",
            "completion_rate",
        )
    )


def _funnel_rows(courses: QuerySet[Course] | list[Any]) -> QuerySet[Any]:
    """Every lesson of `courses` in curriculum order with the enrollments (not revoked) that
    completed it, its position and the previous lesson's figure (window functions), one
    query."""
    # One join and GROUP BY over the progress rows (a correlated count per lesson is
    # thousands of times slower at a million rows).
    done: Any = Count(
        "progress_records",
        filter=Q(
            progress_records__completed_at__isnull=False,
            progress_records__enrollment__status__in=ACCESS_STATUSES,
        ),
    )
    if rollups.enabled():  # the running count per lesson instead of the progress rows
        counted = LessonCompletions.objects.filter(lesson_id=OuterRef("pk")).values("completed")
        done = Coalesce(Subquery(counted[:1]), Value(0))
    order = [
        F("section__order").asc(),
        F("section__created_at").asc(),
        F("order").asc(),
        F("created_at").asc(),
    ]
    return (
        Lesson.objects.filter(course__in=courses)
        .annotate(completed=done)
        .annotate(
            position=Window(RowNumber(), partition_by=[F("course_id")], order_by=order),
            previous=Window(Lag("completed"), partition_by=[F("course_id")], order_by=order),
        )
        .order_by("course_id", "position")
        .values("id", "title", "course_id", "completed", "position", "previous")
    )


def _funnels(
    courses: QuerySet[Course] | list[Any], enrolled: Mapping[Any, int]
) -> dict[Any, list[FunnelStep]]:
    steps: dict[Any, list[FunnelStep]] = defaultdict(list)
    for row in _funnel_rows(courses):
        previous = row["previous"]
        if previous is None:  # the first lesson: compared with the enrollments
            previous = enrolled.get(row["course_id"], 0)
        steps[row["course_id"]].append(
            FunnelStep(
                lesson_id=row["id"],
                title=row["title"],
                position=row["position"],
                completed=row["completed"],
                drop=max(previous - row["completed"], 0),
            )
        )
    return steps


def drop_off(steps: Iterable[FunnelStep]) -> LessonRef | None:
    """The lesson where most students stop: the step with the largest drop (the earliest of
    equal ones), None when nobody stopped anywhere."""
    best: FunnelStep | None = None
    for step in steps:
        if step.drop > 0 and (best is None or step.drop > best.drop):
            best = step
    return None if best is None else LessonRef(id=best.lesson_id, title=best.title)


def _course_revenue(legs: QuerySet[LedgerEntry]) -> dict[tuple[str, Any], list[Revenue]]:
    """Gross, fees and net by (order item kind, course id) and currency, one query."""
    rows = (
        _with_order_item(legs)
        .order_by()
        .values("item_kind", "item_course", "currency")  # type: ignore[misc]
        .annotate(gross=_GROSS, fees=_FEES, net=_NET)
        .order_by("currency")
    )
    out: dict[tuple[str, Any], list[Revenue]] = defaultdict(list)
    for row in rows:
        course = as_uuid(row["item_course"])  # SQLite answers the subquery's hex text
        out[(row["item_kind"], str(course) if course else None)].extend(_revenue_rows([row]))
    return out


def _figures(
    row: Mapping[str, Any], steps: list[FunnelStep], revenue: list[Revenue]
) -> CourseFigures:
    return CourseFigures(
        course_id=row["id"],
        title=row["title"],
        status=row["status"],
        enrollments=row["n_enrollments"],
        completed=row["n_completed"],
        completion_rate=round(row["completion_rate"], 2),
        average_rating=round(row["average"], 2),
        reviews=row["n_reviews"],
        drop_off_lesson=drop_off(steps),
        revenue=revenue,
    )


def instructor_analytics(*, user: Any, periods: Periods) -> InstructorAnalytics:
    """The instructor's figures (owned and co-taught courses) in a fixed number of queries.

    Headline figures, per-course figures and the rating distribution are all time; the
    `enrollments` and `revenue_series` series cover `periods`.
    """
    # The courses' ids first, as a list (one query, a UNION of two index scans): PostgreSQL
    # misjudges how many courses the "owned or co-taught" OR keeps (thousands instead of
    # tens) and then scans every course, lesson and enrollment of the platform; a list of ids
    # it estimates exactly.
    owned = Course.objects.filter(instructor_id=user.pk).order_by().values_list("pk", flat=True)
    co_taught = (
        Course.co_instructors.through.objects.filter(user_id=user.pk)
        .order_by()
        .values_list("course_id", flat=True)
    )
    taught = list(owned.union(co_taught))
    courses = Course.objects.filter(pk__in=taught)
    headline = courses.aggregate(
        total=Count("pk"), published=Count("pk", filter=Q(status=CourseStatus.PUBLISHED))
    )
    rows = list(_course_figures_rows(courses))
    enrollments = Enrollment.objects.filter(course_id__in=taught).filter(_counted_enrollments())
    reviews = Review.objects.filter(course_id__in=taught)
    review_figures = reviews.filter(visibility=Visibility.VISIBLE).aggregate(
        average=Avg(Cast("rating", FloatField())), n=Count("pk")
    )
    funnels = _funnels(taught, {row["id"]: row["n_enrollments"] for row in rows})
    if rollups.enabled():
        scoped = RevenueTotal.objects.filter(scope_id=user.pk)
        by_item = _rollup_course_revenue(user.pk)
        revenue = _rollup_totals(scoped)
        series = _rollup_series(
            RevenueBucket.objects.filter(scope_id=user.pk, course_id=NONE), periods
        )
    else:
        legs = _instructor_legs(user.pk)
        by_item = _course_revenue(legs)
        revenue = revenue_totals(legs)
        series = revenue_series(legs, periods)
    quizzes = (
        Quiz.objects.filter(lesson__course_id__in=taught)
        .order_by("lesson__course__title", "lesson__title", "id")
        .annotate(
            n_attempts=Count("attempts", filter=Q(attempts__submitted_at__isnull=False)),
            n_passed=Count("attempts", filter=Q(attempts__passed=True)),
        )
        .annotate(rate=_percent("n_passed", "n_attempts"))
        .values("id", "lesson__title", "lesson__course__title", "n_attempts", "n_passed", "rate")
    )
    tutoring = Booking.objects.filter(tutor_id=user.pk, status=BookingStatus.COMPLETED).aggregate(
        sessions=Count("pk"), minutes=Coalesce(Sum("duration_minutes"), Value(0))
    )
    return InstructorAnalytics(
        timezone=str(periods.tz),
        granularity=periods.granularity,
        total_courses=headline["total"],
        published_courses=headline["published"],
        total_enrollments=sum(row["n_enrollments"] for row in rows),
        average_rating=round(review_figures["average"] or 0.0, 2),
        total_reviews=review_figures["n"],
        revenue=revenue,
        rating_distribution=rating_distribution(reviews),
        enrollments=enrollment_series(
            enrollments,
            EnrollmentDays.objects.filter(course_id__in=taught),
            EnrollmentBuckets.objects.filter(course_id__in=taught),
            periods,
        ),
        revenue_series=series,
        courses=[
            _figures(row, funnels.get(row["id"], []), by_item.get(("course", str(row["id"])), []))
            for row in rows
        ],
        quiz_pass_rates=[
            QuizPassRate(
                quiz_id=row["id"],
                lesson_title=row["lesson__title"],
                course_title=row["lesson__course__title"],
                attempts=row["n_attempts"],
                passed=row["n_passed"],
                pass_rate=round(row["rate"], 2),
            )
            for row in quizzes
        ],
        tutoring=Tutoring(
            sessions=tutoring["sessions"],
            hours=round(tutoring["minutes"] / 60, 2),
            earnings=by_item.get((BOOKING_KIND, None), []),
        ),
    )


def course_analytics(*, course: Course, user: Any, periods: Periods) -> CourseAnalytics:
    """One course's figures for its instructors (the view has scoped `course` to them).

    Revenue is the caller's view of it: gross and fees of the course's sales, net the
    caller's own share (an admin who is not an instructor of it sees net 0).
    """
    courses = Course.objects.filter(pk=course.pk)
    rows = list(_course_figures_rows(courses))
    row = rows[0]
    funnels = _funnels(courses, {row["id"]: row["n_enrollments"]})
    if rollups.enabled():
        viewed = Q(course_id=course.pk, scope_id__in=(NONE, user.pk))
        revenue = _rollup_totals(RevenueTotal.objects.filter(viewed), viewer=user.pk)
        series = _rollup_series(RevenueBucket.objects.filter(viewed), periods, viewer=user.pk)
    else:
        course_legs = (
            _with_order_item(_earning_legs())
            .filter(item_course=course.pk)  # type: ignore[misc]
            .filter(Q(wallet__isnull=True) | Q(wallet__instructor_id=user.pk))
        )
        revenue = revenue_totals(course_legs)
        series = revenue_series(course_legs, periods)
    steps = funnels.get(row["id"], [])
    return CourseAnalytics(
        timezone=str(periods.tz),
        granularity=periods.granularity,
        course=_figures(row, steps, revenue),
        enrollments=enrollment_series(
            Enrollment.objects.filter(course_id=course.pk).filter(_counted_enrollments()),
            EnrollmentDays.objects.filter(course_id=course.pk),
            EnrollmentBuckets.objects.filter(course_id=course.pk),
            periods,
        ),
        funnel=steps,
        rating_distribution=rating_distribution(Review.objects.filter(course_id=course.pk)),
        revenue_series=series,
    )


# --- platform ---------------------------------------------------------------------------------


def platform_analytics(*, periods: Periods) -> PlatformAnalytics:
    """The platform's figures for staff, in a fixed number of queries. Headline figures are
    all time; series cover `periods`. Users exclude deleted accounts."""
    users = User.objects.filter(deleted_at__isnull=True)
    by_role = _distribution(
        users.order_by().values("role").annotate(n=Count("pk")).values_list("role", "n"),
        Role.values,
    )
    growth_rows = (
        users.filter(**periods.within("created_at"))
        .order_by()
        .annotate(period=periods.trunc("created_at"))
        .values("period", "role")
        .annotate(n=Count("pk"))
        .values_list("period", "role", "n")
    )
    growth: dict[str, dict[date | None, int]] = defaultdict(dict)
    for period, role, n in growth_rows:
        growth[role][periods.key(period)] = n
    statuses = _distribution(
        Course.objects.order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n"),
        CourseStatus.values,
    )
    enrollments = Enrollment.objects.filter(_counted_enrollments())
    legs = _earning_legs()
    refund_query = (
        Refund.objects.filter(status=RefundStatus.SUCCEEDED)
        .order_by()
        .values("currency")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by("currency")
    )
    refund_rows = list(refund_query)
    if rollups.enabled():
        platform = RevenueBucket.objects.filter(scope_id=NONE, course_id=NONE)
        revenue = _rollup_totals(RevenueTotal.objects.filter(scope_id=NONE))
        # one grouped read of the buckets for both series: gross, fees, net and refunded
        both = revenue_series(
            platform,
            periods,
            labels=("gross", "fees", "net", "refunded"),
            field="bucket",
            sums={**_rollup_sums(), "refunded": _rollup_sum("refunded")},
        )
        series = MoneySeries(
            labels=both.labels,
            datasets=[row for row in both.datasets if row.label != "refunded"],
        )
        refund_series_rows: Iterable[Mapping[str, Any]] = [
            {"period": period, "currency": row.currency, "refunded": amount}
            for row in both.datasets
            if row.label == "refunded"
            for period, amount in zip(periods.starts(), row.data, strict=True)
            if amount
        ]
        total_enrollments = CourseEnrollments.objects.aggregate(
            n=Coalesce(Sum("enrollments"), Value(0))
        )["n"]
    else:
        revenue = revenue_totals(legs)
        series = revenue_series(legs, periods)
        reversals = _earning_legs().filter(transaction__kind=TransactionKind.SALE_REVERSAL)
        refund_series_rows = (
            reversals.filter(**periods.within("transaction__created_at"))
            .order_by()
            .annotate(period=periods.trunc("transaction__created_at"))
            .values("period", "currency")
            .annotate(refunded=_REFUNDED)
        )
        total_enrollments = enrollments.count()
    refunded: dict[str, dict[date | None, Decimal]] = defaultdict(dict)
    for row in refund_series_rows:
        refunded[row["currency"]][periods.key(row["period"])] = row["refunded"]
    pending = PendingApprovals(
        instructor_applications=InstructorApplication.objects.filter(status="pending").count(),
        courses=Course.objects.filter(status=CourseStatus.PENDING).count(),
        withdrawals=Withdrawal.objects.filter(status=Withdrawal.Status.PENDING).count(),
    )
    tickets = _distribution(
        Ticket.objects.filter(status__in=OPEN_TICKET_STATUSES)
        .order_by()
        .values("priority")
        .annotate(n=Count("pk"))
        .values_list("priority", "n"),
        TicketPriority.values,
    )
    universities = (
        University.objects.annotate(
            users=Count(
                "affiliations",
                filter=Q(affiliations__user__is_active=True, affiliations__user__deleted_at=None),
            )
        )
        .filter(users__gt=0)
        .order_by("-users", "name")
        .values_list("name", "users")
    )
    by_university = list(universities)
    labels = periods.labels()
    return PlatformAnalytics(
        timezone=str(periods.tz),
        granularity=periods.granularity,
        total_users=sum(by_role.counts),
        users_by_role=by_role,
        user_growth=Series(
            labels=labels,
            datasets=[Dataset(label=role, data=periods.fill(growth[role])) for role in Role.values],
        ),
        courses_by_status=statuses,
        total_enrollments=total_enrollments,
        enrollments=enrollment_series(
            enrollments, EnrollmentDays.objects.all(), EnrollmentBuckets.objects.all(), periods
        ),
        revenue=revenue,
        revenue_series=series,
        refunds=Refunds(
            count=sum(row["n"] for row in refund_rows),
            amounts=[
                MoneyTotal(currency=row["currency"], amount=row["amount"]) for row in refund_rows
            ],
        ),
        refund_series=MoneySeries(
            labels=labels,
            datasets=[
                MoneyDataset(
                    label="refunds", currency=currency, data=periods.fill(refunded[currency], ZERO)
                )
                for currency in sorted(refunded)
            ],
        ),
        pending_approvals=pending,
        open_tickets_by_priority=tickets,
        users_by_university=Distribution(
            labels=[name for name, _ in by_university], counts=[n for _, n in by_university]
        ),
    )
