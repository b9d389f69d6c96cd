"""Rollups: small tables of running totals the dashboards read instead of millions of rows.

They hold nothing of their own: every figure is a sum over the source tables (lesson
progress, enrollments, payouts' ledger) that PostgreSQL triggers keep current inside the
writing transaction (`rollups.py` has their SQL and the rules), and that
`manage.py rebuild_analytics_rollups` recomputes from the sources. On SQLite (tests, local
development) there are no triggers: the selectors compute the same figures from the sources
(`rollups.enabled()`).

Keys use `NONE` (the nil UUID) instead of NULL, so each key is one row for `ON CONFLICT`:
`scope_id` NONE is the platform's view of a sale (every leg), otherwise the instructor whose
view it is (the platform legs of the sales they have a share in, their own legs);
`course_id` NONE is "not a course" in `RevenueTotal` and "every course" in `RevenueBucket`.
"""

from __future__ import annotations

import uuid

from django.db import models

NONE = uuid.UUID(int=0)
# Ledger time buckets: every UTC offset in use is a multiple of 15 minutes, so a local
# day, week or month always starts on a bucket's edge and a bucket never straddles two.
BUCKET_MINUTES = 15


def _money() -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=3, default=0)


class LessonCompletions(models.Model):
    """Per lesson: the progress rows completed by enrollments that give access (active or
    completed, not revoked); the course funnel's counts."""

    lesson_id = models.UUIDField(primary_key=True)
    course_id = models.UUIDField(db_index=True)
    completed = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"lesson {self.lesson_id}: {self.completed} completed"


class CourseEnrollments(models.Model):
    """Per course: enrollments that are not revoked, and those completed."""

    course_id = models.UUIDField(primary_key=True)
    enrollments = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"course {self.course_id}: {self.enrollments} enrollments"


class PostgresRollup(models.Model):
    """A rollup whose key carries its figures (`INCLUDE`, an index-only read). The rollups
    are kept and read on PostgreSQL only, and `required_db_features` tells Django so: it
    does not warn that SQLite cannot build such a key (models.W039), and migrations do not
    create a table there that nothing would fill."""

    class Meta:
        abstract = True
        required_db_features = ["supports_covering_indexes"]


class EnrollmentDays(PostgresRollup):
    """Per course and UTC day of `enrolled_at`: enrollments that are not revoked. The
    enrollment series add whole days from here and take the days that a period's edge cuts
    (a local midnight that is not a UTC one) from `EnrollmentBuckets`."""

    course_id = models.UUIDField()
    day = models.DateField()
    enrollments = models.IntegerField(default=0)

    class Meta(PostgresRollup.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["course_id", "day"],
                include=["enrollments"],
                name="analytics_enrollment_day_key",
            )
        ]

    def __str__(self) -> str:
        return f"course {self.course_id} on {self.day}: {self.enrollments}"


class EnrollmentBuckets(PostgresRollup):
    """Per course and 15-minute UTC bucket of `enrolled_at`: enrollments that are not
    revoked. A local midnight in any zone is a bucket's edge, so the part of a UTC day on
    either side of it is a sum of whole buckets; `quarter` (0-95, the bucket's quarter hour
    in its UTC day) lets a series read only the buckets on the far side of a midnight."""

    course_id = models.UUIDField()
    bucket = models.DateTimeField()
    quarter = models.SmallIntegerField(default=0)
    enrollments = models.IntegerField(default=0)

    class Meta(PostgresRollup.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["course_id", "bucket"],
                include=["enrollments"],
                name="analytics_enrollment_bucket_key",
            )
        ]
        indexes = [
            # a series' buckets before (or after) a local midnight: per course, and every
            # course for the platform
            models.Index(
                fields=["course_id", "quarter", "bucket"],
                include=["enrollments"],
                name="analytics_enrollment_side_idx",
            ),
            models.Index(
                fields=["quarter", "bucket"],
                include=["enrollments"],
                name="analytics_enrollment_time_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"course {self.course_id} at {self.bucket:%Y-%m-%d %H:%M}: {self.enrollments}"


class RevenueFigures(models.Model):
    """Gross, fees, net and refunded: the four sums every revenue rollup row holds."""

    gross = _money()
    fees = _money()
    net = _money()
    refunded = _money()

    class Meta:
        abstract = True


class RevenueTotal(RevenueFigures):
    """All-time gross, fees, net and refunded of sales (and their reversals) by view,
    order item kind, course and currency. Empty `item_kind`: a sale of no order item."""

    scope_id = models.UUIDField()
    item_kind = models.CharField(max_length=30)
    course_id = models.UUIDField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope_id", "item_kind", "course_id", "currency"],
                name="analytics_revenue_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope_id} {self.item_kind} {self.course_id} {self.currency}"


class RevenueBucket(RevenueFigures, PostgresRollup):
    """The same figures per 15-minute UTC bucket of the ledger transaction's `created_at`,
    by view, course (NONE: every sale) and currency; series are grouped from these."""

    scope_id = models.UUIDField()
    course_id = models.UUIDField()
    currency = models.CharField(max_length=3)
    bucket = models.DateTimeField()

    class Meta(PostgresRollup.Meta):
        constraints = [
            # The figures ride in the index: a series is an index-only scan.
            models.UniqueConstraint(
                fields=["scope_id", "course_id", "currency", "bucket"],
                include=["gross", "fees", "net", "refunded"],
                name="analytics_revenue_bucket_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope_id} {self.course_id} {self.currency} {self.bucket:%Y-%m-%d %H:%M}"
