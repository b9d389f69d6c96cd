"""The admin index's staff dashboard: the work queues with their counts and links, and the
platform figures as Chart.js charts (rendered by `templatetags/analytics_admin.py` and
`templates/analytics/admin_dashboard.html`).

Queues: instructor applications, courses pending review, withdrawals, open tickets. Each is
shown only to a staff member who may act on it: the one who passes its model admin's
`has_change_permission` (admins are superusers; managers have what the "Managers" group
grants, lms/accounts/staff_groups.py, so no withdrawals). Each links to its change list
filtered to what waits, whose approve / reject actions call the same services as the API
(lms/accounts, lms/catalog, lms/payouts, lms/support admin.py).

Charts: Chart.js (`CHART_JS`), a pinned release vendored as a static file from its npm
package (no CDN), fed the platform figures as JSON (`json_script`) and drawn by
`static/analytics/admin_charts.js`. docs/analytics.md, "The admin index".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse

from lms.accounts.models import InstructorApplication
from lms.catalog.models import Course, CourseStatus
from lms.core.money import amount_string
from lms.payouts.models import Withdrawal
from lms.support.models import Ticket

from . import cache, selectors
from .periods import MONTH, Periods
from .read_models import PlatformAnalytics


@dataclass(frozen=True, slots=True)
class VendoredScript:
    """A third-party script served from this app's static files: `path` under STATIC_URL,
    its release and the SHA-256 of the file as published in the npm package."""

    name: str
    version: str
    path: str
    sha256: str


CHART_JS = VendoredScript(
    name="chart.js",
    version="4.6.1",
    path="analytics/vendor/chartjs-4.6.1/chart.umd.min.js",
    sha256="87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2",
)
CHARTS_SCRIPT = "analytics/admin_charts.js"


@dataclass(frozen=True, slots=True)
class Queue:
    """`slug`: the page's `data-queue` key; `count`: rows waiting now; `url`: the change
    list filtered to them."""

    name: str
    slug: str
    count: int
    url: str


@dataclass(frozen=True, slots=True)
class _QueueSpec:
    name: str
    slug: str
    model: type[Model]
    waiting: dict[str, Any]  # the filter of what waits, as ORM lookups
    query: str  # the same filter in the change list's query string


QUEUES = (
    _QueueSpec(
        "Instructor applications",
        "instructor-applications",
        InstructorApplication,
        {"status": "pending"},
        "status__exact=pending",
    ),
    _QueueSpec(
        "Courses pending review",
        "courses-pending-review",
        Course,
        {"status": CourseStatus.PENDING},
        "status__exact=pending",
    ),
    _QueueSpec(
        "Withdrawals",
        "withdrawals",
        Withdrawal,
        {"status": Withdrawal.Status.PENDING},
        "status__exact=pending",
    ),
    _QueueSpec(
        "Open tickets",
        "open-tickets",
        Ticket,
        {"status__in": selectors.OPEN_TICKET_STATUSES},
        "status__in=" + ",".join(selectors.OPEN_TICKET_STATUSES),
    ),
)


def _may_act_on(request: HttpRequest, model: type[Model]) -> bool:
    model_admin = admin.site.get_model_admin(model)
    return bool(model_admin.has_change_permission(request))


def queues(request: HttpRequest) -> list[Queue]:
    """The queues `request.user` may act on, counted live (never from the figures' cache:
    staff act on them), one COUNT query each."""
    out = []
    for spec in QUEUES:
        if not _may_act_on(request, spec.model):
            continue
        meta = spec.model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        out.append(
            Queue(
                name=spec.name,
                slug=spec.slug,
                count=spec.model._default_manager.filter(**spec.waiting).count(),
                url=f"{url}?{spec.query}",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class ChartDataset:
    label: str
    data: Sequence[int | float | str]  # money as decimal strings, as in the API


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart for Chart.js: `kind` is Chart.js's type (`bar`), `stacked` stacks the
    datasets; `labels` one per bar (period or key), each dataset one value per label."""

    key: str
    title: str
    labels: list[str]
    datasets: list[ChartDataset]
    kind: str = "bar"
    stacked: bool = False
    currency: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "type": self.kind,
            "stacked": self.stacked,
            "currency": self.currency,
            "labels": self.labels,
            "datasets": [{"label": d.label, "data": list(d.data)} for d in self.datasets],
        }

    @property
    def table(self) -> list[tuple[str, list[Any]]]:
        """The same figures as rows for the page's table: (label, one value per dataset)."""
        return [
            (label, [dataset.data[index] for dataset in self.datasets])
            for index, label in enumerate(self.labels)
        ]


def _money(values: Sequence[Decimal], currency: str) -> list[str]:
    """Amounts as the API renders them: decimal strings in the currency's own decimals."""
    return [amount_string(value, currency) for value in values]


def charts(figures: PlatformAnalytics) -> list[Chart]:
    """The platform's figures as charts: enrollments and new users (by role, stacked) per
    period, revenue gross / fees / net per period in each currency, open tickets by priority,
    courses by status."""
    labels = figures.enrollments.labels
    out = [
        Chart(
            key="enrollments",
            title="Enrollments per month",
            labels=labels,
            datasets=[ChartDataset("enrollments", figures.enrollments.datasets[0].data)],
        ),
        Chart(
            key="new-users",
            title="New users per month, by role",
            labels=figures.user_growth.labels,
            datasets=[ChartDataset(d.label, d.data) for d in figures.user_growth.datasets],
            stacked=True,
        ),
    ]
    currencies = sorted({d.currency for d in figures.revenue_series.datasets})
    for currency in currencies:
        out.append(
            Chart(
                key=f"revenue-{currency.lower()}",
                title=f"Revenue per month ({currency})",
                labels=figures.revenue_series.labels,
                datasets=[
                    ChartDataset(d.label, _money(d.data, currency))
                    for d in figures.revenue_series.datasets
                    if d.currency == currency
                ],
                currency=currency,
            )
        )
    out.append(
        Chart(
            key="open-tickets",
            title="Open tickets by priority",
            labels=figures.open_tickets_by_priority.labels,
            datasets=[ChartDataset("open tickets", figures.open_tickets_by_priority.counts)],
        )
    )
    out.append(
        Chart(
            key="courses-by-status",
            title="Courses by status",
            labels=figures.courses_by_status.labels,
            datasets=[ChartDataset("courses", figures.courses_by_status.counts)],
        )
    )
    return out


def dashboard(request: HttpRequest) -> dict[str, Any]:
    """What the admin index shows the staff member of `request`: the queues they may act on,
    and the last 12 months in their timezone as charts (`chart_data`: the JSON the page's
    script reads, `{"charts": [{key, title, type, stacked, currency, labels, datasets}]}`).
    The figures come through the analytics cache (60 s, per user and parameters)."""
    user: Any = request.user
    periods = Periods.build(tz=selectors.user_zone(user), granularity=MONTH)
    figures = cache.cached(
        "platform",
        user_id=user.pk,
        params=(periods.granularity, periods.first, periods.last, str(periods.tz)),
        build=lambda: selectors.platform_analytics(periods=periods),
    )
    built = charts(figures)
    return {
        "queues": queues(request),
        "charts": built,
        "chart_data": {"charts": [chart.as_json() for chart in built]},
        "figures": figures,
        "chart_js": CHART_JS,
        "charts_script": CHARTS_SCRIPT,
    }
