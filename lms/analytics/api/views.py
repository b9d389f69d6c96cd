"""Analytics endpoints: authenticate, authorise, read the period, call a selector (through
the per-user cache), render JSON or CSV."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.catalog.selectors import course_for_editing
from lms.core.permissions import IsInstructor, IsStaffMember
from lms.core.renderers import JSONRenderer
from lms.core.schema import domain_errors

from .. import cache, selectors
from ..export import to_csv
from ..periods import DAY, GRANULARITIES, MONTH, Periods
from . import serializers as s

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description=(
            "First local day (user's timezone), included. 400 `out_of_range` before "
            "1970-01-01 or more than 366 days after today, `invalid_range` after `to` "
            "(today without it), `range_too_long` for more than 731 periods."
        ),
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="Last local day, included; today. 400 `out_of_range` as for `from`.",
    ),
    OpenApiParameter("granularity", OpenApiTypes.STR, enum=list(GRANULARITIES)),
    OpenApiParameter(
        "format", OpenApiTypes.STR, enum=list(s.FORMATS), description="csv: the same figures."
    ),
]
# the 400 codes of the period's rules (PERIOD_PARAMETERS' descriptions say which is which)
PERIOD_ERRORS = {400: ["invalid_range", "out_of_range", "range_too_long"]}
CSV_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.STR, description="`?format=csv`: figure, period, series, value."
)


def _periods(request: Request, tz: Any, *, default: str) -> tuple[Periods, str]:
    params = s.PeriodInputSerializer(data=request.query_params, default_granularity=default, tz=tz)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    periods = Periods.build(
        tz=tz, granularity=data["granularity"], start=data["from"], end=data["to"]
    )
    return periods, data["format"]


class CSVRenderer(BaseRenderer):
    """`?format=csv`: the answer's figures flattened by `lms.analytics.export.to_csv`."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        return to_csv(data).encode()


class AnalyticsView(APIView):
    """JSON, or CSV with `?format=csv`; `format` is validated with the period (400 for an
    unknown one, never DRF's 404), and errors are always JSON."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.status_code >= 400 or request.query_params.get("format") != "csv":
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def _answer(data: dict[str, Any], fmt: str, filename: str) -> Response:
    response = Response(data)
    if fmt == "csv":
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _key(periods: Periods) -> tuple[Any, ...]:
    return (periods.granularity, periods.first, periods.last, str(periods.tz))


class StudentAnalyticsView(AnalyticsView):
    @domain_errors(PERIOD_ERRORS)
    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={200: s.StudentAnalyticsSerializer},
        description=(
            "The caller's own learning: progress per course, average quiz score and attempts "
            "and study minutes per period (default: the last 30 days by day, in the user's "
            "timezone), current and longest streak, certificates."
        ),
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        periods, fmt = _periods(request, selectors.user_zone(user), default=DAY)
        # Not cached: the caller's own activity must show on the next read (lms/analytics/cache.py).
        figures = selectors.student_analytics(user=user, periods=periods)
        return _answer(s.StudentAnalyticsSerializer(figures).data, fmt, "student-analytics")


class InstructorAnalyticsView(AnalyticsView):
    permission_classes = [IsInstructor]

    @domain_errors(PERIOD_ERRORS)
    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={200: s.InstructorAnalyticsSerializer},
        description=(
            "The caller's courses (owned and co-taught): all-time figures, per-course "
            "figures with completion rate, drop-off lesson and revenue, quiz pass rates, "
            "tutoring; enrollments and revenue (gross, fees, net from the ledger) per period "
            "(default: the last 12 months)."
        ),
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        periods, fmt = _periods(request, selectors.user_zone(user), default=MONTH)
        figures = cache.cached(
            "instructor",
            user_id=user.pk,
            params=_key(periods),
            build=lambda: selectors.instructor_analytics(user=user, periods=periods),
        )
        return _answer(s.InstructorAnalyticsSerializer(figures).data, fmt, "instructor-analytics")


class CourseAnalyticsView(AnalyticsView):
    permission_classes = [IsInstructor]

    @domain_errors(PERIOD_ERRORS)
    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={200: s.CourseAnalyticsSerializer},
        description=(
            "One course for its instructors (owner, co-instructors; admins): enrollments per "
            "period, the completion funnel per lesson, rating distribution, revenue. Another "
            "instructor's course is 404."
        ),
    )
    def get(self, request: Request, course: str) -> Response:
        user = current_user(request)
        found = course_for_editing(user=user, ref=course)
        periods, fmt = _periods(request, selectors.user_zone(user), default=MONTH)
        figures = cache.cached(
            "course",
            user_id=user.pk,
            params=(str(found.pk), *_key(periods)),
            build=lambda: selectors.course_analytics(course=found, user=user, periods=periods),
        )
        return _answer(s.CourseAnalyticsSerializer(figures).data, fmt, "course-analytics")


class PlatformAnalyticsView(AnalyticsView):
    permission_classes = [IsStaffMember]

    @domain_errors(PERIOD_ERRORS)
    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={200: s.PlatformAnalyticsSerializer},
        description=(
            "Platform figures for admins and managers: users by role and new users per "
            "period, courses by status, enrollments, revenue and fees from the ledger, "
            "refunds, pending approvals, open tickets by priority (default: 12 months)."
        ),
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        periods, fmt = _periods(request, selectors.user_zone(user), default=MONTH)
        figures = cache.cached(
            "platform",
            user_id=user.pk,
            params=_key(periods),
            build=lambda: selectors.platform_analytics(periods=periods),
        )
        return _answer(s.PlatformAnalyticsSerializer(figures).data, fmt, "platform-analytics")
