"""`manage.py rebuild_analytics_rollups`: recompute the analytics rollups from their sources.

The triggers keep the rollups current on every write (lms/analytics/rollups.py); this is for
after a bulk load with triggers off, a restore, or a change of the rules, and it is what the
migration that installed the triggers ran once. One transaction: the dashboards read the
old figures until it commits. Run it with the writers quiet (a deploy step): a lesson
completed or a sale posted while it runs may be counted twice or not at all, and waits on
the rollups' rows until it commits. PostgreSQL only (SQLite has no rollups: nothing to do).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from lms.analytics import rollups
from lms.analytics.models import (
    CourseEnrollments,
    EnrollmentBuckets,
    EnrollmentDays,
    LessonCompletions,
    RevenueBucket,
    RevenueTotal,
)


class Command(BaseCommand):
    help = "Recompute the analytics rollups (funnel, enrollments, revenue) from the sources."

    def handle(self, *args: Any, **options: Any) -> None:
        if not rollups.enabled():
            self.stdout.write(f"no rollups on {connection.vendor}: nothing to rebuild")
            return
        with transaction.atomic():
            rollups.install()
            rollups.rebuild()
        self.stdout.write(
            "rebuilt: "
            f"{LessonCompletions.objects.count()} lessons, "
            f"{CourseEnrollments.objects.count()} courses, "
            f"{EnrollmentDays.objects.count()} enrollment days, "
            f"{EnrollmentBuckets.objects.count()} enrollment buckets, "
            f"{RevenueTotal.objects.count()} revenue totals, "
            f"{RevenueBucket.objects.count()} revenue buckets"
        )
