"""Tutoring endpoints: authenticate, authorise, call a selector or a service, serialise."""

from __future__ import annotations

from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.accounts.models import InstructorProfile, Role, StudentProfile
from lms.core.money import MoneyError
from lms.core.pagination import PageNumberPagination
from lms.core.permissions import IsInstructor
from lms.core.rendering import render
from lms.core.schema import domain_errors, validates_whole_body

from .. import selectors, services
from ..errors import TutoringError
from ..ics import booking_ics
from ..timing import zone
from . import serializers as s

ERRORS = {
    400: OpenApiResponse(description="Bad input (error shape)"),
    401: OpenApiResponse(description="Not signed in"),
    403: OpenApiResponse(description="Not allowed"),
    404: OpenApiResponse(description="Not found"),
    409: OpenApiResponse(description="Conflict (code says which)"),
}


# The 400 codes shared by operations, listed once (each operation's `@domain_errors` spreads
# them). `lms/tutoring/tests/test_documented_codes.py` answers every one through the API and
# finds it listed on the operation that answered it.
# any `AwareDateTimeField` input (s.AwareDateTimeField): no UTC offset; before 1970 or from 3000
TIME_INPUT_ERRORS = (TutoringError.NAIVE_DATETIME, TutoringError.TIME_OUT_OF_RANGE)
# a free-time window `from`/`to` (s.WindowQuerySerializer)
WINDOW_ERRORS = (*TIME_INPUT_ERRORS, TutoringError.INVALID_TIME_RANGE, TutoringError.RANGE_TOO_LONG)
# a stretch of time checked by `timing.check_range`
RANGE_ERRORS = (
    TutoringError.INVALID_TIME_RANGE,
    TutoringError.INVALID_DURATION,
    TutoringError.TIME_IN_PAST,
)
# a lesson's start checked against the tutor's notice and the booking horizon
NOTICE_ERRORS = (TutoringError.TOO_SHORT_NOTICE, TutoringError.BEYOND_HORIZON)


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


def _paginated(
    request: Request, view: APIView, items: Any, serializer: type[BaseSerializer[Any]]
) -> Response:
    paginator = PageNumberPagination()
    page: Any = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(
        serializer(page, many=True, context={"request": request}).data
    )


def _viewer_zone(request: Request, name: str | None) -> ZoneInfo:
    """`?tz=`, else the signed-in caller's profile timezone (the profile `PATCH /auth/me/`
    edits for their role: an instructor's, else the student's), else UTC. One query."""
    if name:
        return zone(name)
    user = request.user
    if user is not None and user.is_authenticated and user.pk is not None:
        profiles = InstructorProfile if user.role == Role.INSTRUCTOR else StudentProfile
        found = profiles.objects.filter(user_id=user.pk).values_list("timezone", flat=True)
        for value in found[:1]:
            if value:
                return zone(value)
    return ZoneInfo("UTC")


WINDOW_PARAMS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATETIME,
        description="With offset (without one: 400 `naive_datetime`), from 1970 to 2999 "
        "(else 400 `time_out_of_range`); default now. The window [from, to) is checked after "
        "the defaults are filled, whichever ends were given: `to` not after `from` is 400 "
        "`invalid_time_range`, more than 62 days is 400 `range_too_long` (both on `to`); "
        "never replaced silently",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATETIME,
        description="With offset; default `from` + 7 days. Must be after `from` (400 "
        "`invalid_time_range`) and at most 62 days after it (400 `range_too_long`)",
    ),
    # the same names the query serializer accepts (s.WindowQuerySerializer), as an enum
    OpenApiParameter(
        "tz", OpenApiTypes.STR, description="the viewer's IANA timezone", enum=s.TIMEZONES
    ),
]


def _window(request: Request) -> tuple[Any, Any, ZoneInfo]:
    params = request.query_params
    data = s.WindowQuerySerializer(
        data={
            key: value
            for key, value in (
                ("start", params.get("from")),
                ("end", params.get("to")),
                ("tz", params.get("tz")),
            )
            if value
        }
    )
    data.is_valid(raise_exception=True)
    window = data.validated_data
    return window["start"], window["end"], _viewer_zone(request, window.get("tz"))


# --- tutors ------------------------------------------------------------------------------------


class TutorListView(APIView):
    permission_classes = [AllowAny]

    # the search's 400 codes: `price_max` (the amount rule), `rating_min` / `available_on`,
    # `skill` / `language` too long, a `tz` that names no zone
    @domain_errors({400: ["invalid_amount", "invalid", "max_length", "invalid_choice"]})
    @extend_schema(
        parameters=[s.TutorSearchSerializer], responses={200: s.TutorCardSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        data = s.TutorSearchSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        query = dict(data.validated_data)
        viewer = _viewer_zone(request, query.pop("tz", None))
        profiles = selectors.search_tutors(**query, viewer_tz=viewer)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(profiles, request, view=self)
        cards = [selectors.tutor_card(profile) for profile in page or []]
        return paginator.get_paginated_response(
            render(s.TutorCardSerializer, cards, context={"request": request}, many=True)
        )


class TutorDetailView(APIView):
    permission_classes = [AllowAny]

    @domain_errors({400: WINDOW_ERRORS})
    @extend_schema(
        parameters=WINDOW_PARAMS, responses={200: s.TutorDetailSerializer, **_errors(400, 404)}
    )
    def get(self, request: Request, tutor_id: UUID) -> Response:
        start, end, viewer = _window(request)
        detail = selectors.tutor_detail(tutor_id=tutor_id, start=start, end=end, viewer_tz=viewer)
        return Response(s.TutorDetailSerializer(detail, context={"request": request}).data)


class TutorAvailabilityView(APIView):
    """The free windows of one tutor between `from` and `to` (at most 62 days), answered
    whole as an array, not paginated."""

    permission_classes = [AllowAny]
    pagination_class = None  # the document says so too (lms.core.schema)

    @domain_errors({400: WINDOW_ERRORS})
    @extend_schema(
        parameters=WINDOW_PARAMS,
        responses={200: s.FreeWindowSerializer(many=True), **_errors(400, 404)},
    )
    def get(self, request: Request, tutor_id: UUID) -> Response:
        start, end, viewer = _window(request)
        profile = selectors.tutor_profile(tutor_id)
        windows = selectors.free_time(profile=profile, start=start, end=end, viewer_tz=viewer)
        return Response(s.FreeWindowSerializer(windows, many=True).data)


# --- availability (the tutor's own) ------------------------------------------------------------


class SlotListView(APIView):
    permission_classes = [IsInstructor]

    @extend_schema(responses={200: s.SlotSerializer(many=True), **_errors(401, 403)})
    def get(self, request: Request) -> Response:
        return _paginated(
            request, self, selectors.slots_of(tutor=current_user(request)), s.SlotSerializer
        )

    @domain_errors({400: [*TIME_INPUT_ERRORS, *RANGE_ERRORS], 409: [TutoringError.SLOT_OVERLAP]})
    @extend_schema(
        request=s.SlotInputSerializer,
        responses={201: s.SlotSerializer, **_errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = s.SlotInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = services.create_slot(tutor=current_user(request), **data.validated_data)
        return Response(s.SlotSerializer(slot).data, status=status.HTTP_201_CREATED)


class SlotDetailView(APIView):
    permission_classes = [IsInstructor]

    @domain_errors({409: [TutoringError.SLOT_BOOKED]})
    @extend_schema(responses={204: None, **_errors(401, 403, 404, 409)})
    def delete(self, request: Request, slot_id: UUID) -> Response:
        services.delete_slot(tutor=current_user(request), slot_id=slot_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WeeklyListView(APIView):
    permission_classes = [IsInstructor]

    @extend_schema(responses={200: s.WeeklySerializer(many=True), **_errors(401, 403)})
    def get(self, request: Request) -> Response:
        return _paginated(
            request, self, selectors.weekly_of(tutor=current_user(request)), s.WeeklySerializer
        )

    @domain_errors({400: [TutoringError.INVALID_TIME_RANGE, TutoringError.TIME_OUT_OF_RANGE]})
    @extend_schema(
        request=s.WeeklyInputSerializer,
        responses={201: s.WeeklyCreatedSerializer, **_errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        data = s.WeeklyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        rule, made = services.create_weekly(
            tutor=current_user(request), timezone_name=values.pop("timezone", None), **values
        )
        rule.slots_created = made  # type: ignore[attr-defined]
        return Response(s.WeeklyCreatedSerializer(rule).data, status=status.HTTP_201_CREATED)


class WeeklyDetailView(APIView):
    permission_classes = [IsInstructor]

    @extend_schema(responses={204: None, **_errors(401, 403, 404)})
    def delete(self, request: Request, weekly_id: UUID) -> Response:
        services.delete_weekly(tutor=current_user(request), weekly_id=weekly_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TutorSettingsView(APIView):
    permission_classes = [IsInstructor]

    @extend_schema(responses={200: s.TutorSettingsSerializer, **_errors(401, 403)})
    def get(self, request: Request) -> Response:
        found = selectors.settings_of(tutor=current_user(request))
        return Response(s.TutorSettingsSerializer(found).data)

    @extend_schema(
        request=s.TutorSettingsSerializer,
        responses={200: s.TutorSettingsSerializer, **_errors(400, 401, 403)},
    )
    def patch(self, request: Request) -> Response:
        user = current_user(request)
        data = s.TutorSettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        row = services.update_settings(tutor=user, **data.validated_data)
        return Response(s.TutorSettingsSerializer(row).data)


# --- bookings ----------------------------------------------------------------------------------


class BookingListView(APIView):
    @extend_schema(
        parameters=[s.BookingListQuerySerializer],
        responses={200: s.BookingSerializer(many=True), **_errors(400, 401)},
    )
    def get(self, request: Request) -> Response:
        data = s.BookingListQuerySerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        bookings = selectors.bookings_for(
            user=current_user(request),
            role=data.validated_data.get("role"),
            status=data.validated_data.get("status"),
        )
        return _paginated(request, self, bookings, s.BookingSerializer)

    @domain_errors(
        {
            400: [
                TutoringError.AMBIGUOUS_BOOKING,
                TutoringError.OWN_BOOKING,
                TutoringError.TUTOR_NOT_BOOKABLE,
                TutoringError.PRICE_TOO_LOW,
                MoneyError.BELOW_MINIMUM_CHARGE,
                TutoringError.TIME_IN_PAST,
                *NOTICE_ERRORS,
                *TIME_INPUT_ERRORS,
            ],
            409: [TutoringError.SLOT_UNAVAILABLE],
        }
    )
    @extend_schema(
        request=s.BookingInputSerializer,
        responses={201: s.BookingSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = s.BookingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = current_user(request)
        # The service's booking has its student, tutor and slot loaded: no second read.
        booking = services.create_booking(student=user, **data.validated_data, request=request)
        return Response(render(s.BookingSerializer, booking), status=status.HTTP_201_CREATED)


class BookingDetailView(APIView):
    @extend_schema(responses={200: s.BookingSerializer, **_errors(401, 404)})
    def get(self, request: Request, booking_id: UUID) -> Response:
        booking = selectors.booking_for_participant(
            user=current_user(request), booking_id=booking_id
        )
        return Response(s.BookingSerializer(booking).data)

    @domain_errors({409: [TutoringError.INVALID_BOOKING_STATE]})
    @extend_schema(
        request=s.BookingUpdateSerializer,
        responses={200: s.BookingSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    @validates_whole_body
    def patch(self, request: Request, booking_id: UUID) -> Response:
        user = current_user(request)
        booking = selectors.booking_for_participant(user=user, booking_id=booking_id)
        data = s.BookingUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_meeting_url(by=user, booking_id=booking.pk, **data.validated_data)
        booking = selectors.booking_for_participant(user=user, booking_id=booking.pk)
        return Response(s.BookingSerializer(booking).data)


class _BookingAction(APIView):
    def _answer(self, request: Request, booking_id: Any) -> Response:
        booking = selectors.booking_for_participant(
            user=current_user(request), booking_id=booking_id
        )
        return Response(s.BookingSerializer(booking).data)


class BookingConfirmView(_BookingAction):
    @domain_errors({409: ["invalid_booking_state"]})
    @extend_schema(
        request=None, responses={200: s.BookingSerializer, **_errors(401, 403, 404, 409)}
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        user = current_user(request)
        booking = selectors.booking_for_participant(user=user, booking_id=booking_id)
        services.confirm_booking(by=user, booking_id=booking.pk, request=request)
        return self._answer(request, booking.pk)


class BookingCompleteView(_BookingAction):
    @domain_errors({409: ["invalid_booking_state"]})
    @extend_schema(
        request=None, responses={200: s.BookingSerializer, **_errors(401, 403, 404, 409)}
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        user = current_user(request)
        booking = selectors.booking_for_participant(user=user, booking_id=booking_id)
        services.complete_booking(by=user, booking_id=booking.pk, request=request)
        return self._answer(request, booking.pk)


class BookingCancelView(_BookingAction):
    @domain_errors({409: ["invalid_booking_state"], 502: ["payment_provider_error"]})
    @extend_schema(
        request=s.CancelInputSerializer,
        responses={200: s.BookingSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        user = current_user(request)
        booking = selectors.booking_for_participant(user=user, booking_id=booking_id)
        data = s.CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.cancel_booking(
            by=user, booking=booking, reason=data.validated_data["reason"], request=request
        )
        return self._answer(request, booking.pk)


class BookingRescheduleView(_BookingAction):
    @domain_errors(
        {
            400: [*TIME_INPUT_ERRORS, TutoringError.TIME_IN_PAST, *NOTICE_ERRORS],
            403: [TutoringError.RESCHEDULE_CLOSED],
            409: [TutoringError.INVALID_BOOKING_STATE, TutoringError.SLOT_UNAVAILABLE],
        }
    )
    @extend_schema(
        request=s.RescheduleInputSerializer,
        responses={200: s.BookingSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        user = current_user(request)
        booking = selectors.booking_for_participant(user=user, booking_id=booking_id)
        data = s.RescheduleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reschedule_booking(
            by=user, booking=booking, start=data.validated_data["start"], request=request
        )
        return self._answer(request, booking.pk)


class BookingIcsView(APIView):
    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY, **_errors(401, 404)})
    def get(self, request: Request, booking_id: UUID) -> HttpResponse:
        booking = selectors.booking_for_participant(
            user=current_user(request), booking_id=booking_id
        )
        response = HttpResponse(booking_ics(booking), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="booking-{booking.pk}.ics"'
        return response


# --- testimonials ------------------------------------------------------------------------------


class TestimonialListView(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else list(super().get_permissions())

    @extend_schema(
        parameters=[OpenApiParameter("tutor", OpenApiTypes.UUID)],
        responses={200: s.TestimonialSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        tutor = request.query_params.get("tutor")
        try:
            tutor_id = UUID(tutor) if tutor else None
        except ValueError:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"tutor": "Not a UUID."}, code="invalid") from None
        return _paginated(
            request, self, selectors.tutor_testimonials(tutor_id=tutor_id), s.TestimonialSerializer
        )

    @domain_errors(
        {
            400: ["tutor_mismatch"],
            403: [TutoringError.TESTIMONIAL_NOT_ALLOWED],
            409: [TutoringError.ALREADY_REVIEWED],
        }
    )
    @extend_schema(
        request=s.TestimonialInputSerializer,
        responses={201: s.TestimonialSerializer, **_errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = s.TestimonialInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        testimonial = services.create_testimonial(
            student=current_user(request), **data.validated_data, request=request
        )
        testimonial = selectors.tutor_testimonials().get(pk=testimonial.pk)
        return Response(s.TestimonialSerializer(testimonial).data, status=status.HTTP_201_CREATED)
