"""The admin index's staff dashboard: the approval queues with their counts and links, and
the platform figures as bar charts (rendered by `templatetags/analytics_admin.py`).

The queues link to the existing admin change lists, whose approve / reject actions call the
same services as the API (lms/accounts, lms/catalog, lms/payouts, lms/support admin.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from lms.accounts.models import InstructorApplication
from lms.catalog.models import Course, CourseStatus
from lms.payouts.models import Withdrawal
from lms.support.models import Ticket

from . import cache, selectors
from .charts import BarChart, bar_chart
from .periods import MONTH, Periods


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    count: int
    url: str


def _changelist(model: str, query: str) -> str:
    return f"{reverse(f'admin:{model}_changelist')}?{query}"


def queues() -> list[Queue]:
    """The queues' counts, read live (never from the figures' cache): staff act on them."""
    return [
        Queue(
            "Instructor applications",
            InstructorApplication.objects.filter(status="pending").count(),
            _changelist("accounts_instructorapplication", "status__exact=pending"),
        ),
        Queue(
            "Courses pending review",
            Course.objects.filter(status=CourseStatus.PENDING).count(),
            _changelist("catalog_course", "status__exact=pending"),
        ),
        Queue(
            "Withdrawals",
            Withdrawal.objects.filter(status=Withdrawal.Status.PENDING).count(),
            _changelist("payouts_withdrawal", "status__exact=pending"),
        ),
        Queue(
            "Open tickets",
            Ticket.objects.filter(status__in=selectors.OPEN_TICKET_STATUSES).count(),
            _changelist("support_ticket", "status__exact=open"),
        ),
    ]


def charts(figures: Any) -> list[BarChart]:
    labels = figures.enrollments.labels
    out = [
        bar_chart("Enrollments per month", labels, figures.enrollments.datasets[0].data),
        bar_chart(
            "New users per month",
            labels,
            [
                sum(points)
                for points in zip(*(d.data for d in figures.user_growth.datasets), strict=True)
            ]
            or [0] * len(labels),
        ),
    ]
    for dataset in figures.revenue_series.datasets:
        if dataset.label in ("gross", "fees"):
            out.append(
                bar_chart(
                    f"Revenue {dataset.label} per month ({dataset.currency})",
                    labels,
                    dataset.data,
                )
            )
    out.append(
        bar_chart(
            "Open tickets by priority",
            figures.open_tickets_by_priority.labels,
            figures.open_tickets_by_priority.counts,
        )
    )
    out.append(
        bar_chart(
            "Courses by status", figures.courses_by_status.labels, figures.courses_by_status.counts
        )
    )
    return out


def dashboard(user: Any) -> dict[str, Any]:
    """What the admin index shows a staff member: the last 12 months in their timezone."""
    periods = Periods.build(tz=selectors.user_zone(user), granularity=MONTH)
    figures = cache.cached(
        "platform",
        user_id=user.pk,
        params=(periods.granularity, periods.first, periods.last, str(periods.tz)),
        build=lambda: selectors.platform_analytics(periods=periods),
    )
    return {"queues": queues(), "charts": charts(figures), "figures": figures}
