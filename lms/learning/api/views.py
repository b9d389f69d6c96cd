"""Thin views: authenticate, authorise through a selector, call a service, serialise."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.core.pagination import PageNumberPagination
from lms.core.rendering import render
from lms.core.schema import domain_errors
from lms.learning import certificates, selectors, services
from lms.learning.api import serializers as s
from lms.learning.read_models import ContinueItem, EnrollmentSummary
from lms.learning.throttles import CertificateVerifyThrottle


def _paginated(request: Request, view: APIView, items: Any) -> tuple[PageNumberPagination, Any]:
    paginator = PageNumberPagination()
    page: list[Any] | None = paginator.paginate_queryset(items, request, view=view)
    return paginator, page if page is not None else []


def _enrollment_body(request: Request, enrollment_id: Any) -> dict[str, Any]:
    fresh = selectors.enrollment_detail(user=request.user, enrollment_id=enrollment_id)
    summary = EnrollmentSummary.of(fresh)
    return dict(s.EnrollmentSerializer(summary, context={"request": request}).data)


class EnrollView(APIView):
    @domain_errors(
        {
            400: ["own_course"],
            402: ["payment_required"],
            403: ["enrollment_revoked"],
            409: ["already_enrolled", "prerequisites_not_met"],
        }
    )
    @extend_schema(request=None, responses={201: s.EnrollmentSerializer})
    def post(self, request: Request, course: str) -> Response:
        found = selectors.published_course(ref=course)
        enrollment = services.enroll_in_free_course(student=current_user(request), course=found)
        return Response(_enrollment_body(request, enrollment.pk), status=status.HTTP_201_CREATED)


class EnrollmentListView(APIView):
    @extend_schema(responses=s.EnrollmentSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator, page = _paginated(request, self, selectors.enrollments_of(user=request.user))
        summaries = [EnrollmentSummary.of(enrollment) for enrollment in page]
        data = s.EnrollmentSerializer(summaries, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class EnrollmentDetailView(APIView):
    @extend_schema(responses=s.EnrollmentDetailSerializer)
    def get(self, request: Request, enrollment_id: Any) -> Response:
        enrollment = selectors.enrollment_detail(user=request.user, enrollment_id=enrollment_id)
        summary = EnrollmentSummary.of(enrollment)
        return Response(s.EnrollmentDetailSerializer(summary, context={"request": request}).data)


class MarkLessonCompleteView(APIView):
    @domain_errors(
        {
            400: ["lesson_not_in_course"],
            403: ["enrollment_revoked"],
            409: ["completion_by_assessment"],
        }
    )
    @extend_schema(request=s.MarkLessonCompleteInputSerializer, responses=s.EnrollmentSerializer)
    def post(self, request: Request, enrollment_id: Any) -> Response:
        data = s.MarkLessonCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson_id = data.validated_data["lesson_id"]
        summary = services.mark_lesson_complete(
            user=request.user, enrollment_id=enrollment_id, lesson_id=lesson_id
        )
        return Response(render(s.EnrollmentSerializer, summary, context={"request": request}))


class LessonPositionView(APIView):
    @domain_errors({400: ["invalid_position", "lesson_not_in_course"], 403: ["enrollment_revoked"]})
    @extend_schema(request=s.LessonPositionInputSerializer, responses=s.LessonPositionSerializer)
    def put(self, request: Request, enrollment_id: Any, lesson_id: Any) -> Response:
        data = s.LessonPositionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = selectors.enrollment_for_user(user=request.user, enrollment_id=enrollment_id)
        lesson = selectors.lesson_by_id(lesson_id=lesson_id)
        progress = services.update_lesson_position(
            enrollment=enrollment,
            lesson=lesson,
            position_seconds=data.validated_data["position_seconds"],
            completed=data.validated_data["completed"],
        )
        position = selectors.lesson_position(
            enrollment=enrollment, lesson_id=lesson.pk, progress=progress
        )
        return Response(s.LessonPositionSerializer(position).data)


class CertificateListView(APIView):
    @extend_schema(responses=s.CertificateSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator, page = _paginated(request, self, selectors.certificates_of(user=request.user))
        data = s.CertificateSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class CertificateDetailView(APIView):
    @extend_schema(responses=s.CertificateSerializer)
    def get(self, request: Request, certificate_id: Any) -> Response:
        certificate = selectors.certificate_for_user(
            user=request.user, certificate_id=certificate_id
        )
        return Response(s.CertificateSerializer(certificate, context={"request": request}).data)


class CertificatePdfView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, certificate_id: Any) -> HttpResponse:
        certificate = selectors.certificate_for_user(
            user=request.user, certificate_id=certificate_id
        )
        response = HttpResponse(
            services.certificate_pdf_bytes(certificate=certificate),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="certificate-{certificate.code}.pdf"'
        )
        return response


class CertificateVerifyView(APIView):
    """Public: whether a code belongs to a valid certificate, and nothing else about anyone."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [CertificateVerifyThrottle]

    @extend_schema(responses=s.CertificateVerificationSerializer)
    def get(self, request: Request, code: str) -> Response:
        certificate = selectors.certificate_by_code(code=certificates.normalize_code(code))
        if certificate is None or not selectors.certificate_is_valid(certificate=certificate):
            body: dict[str, Any] = {
                "valid": False,
                "student_name": None,
                "course_title": None,
                "issued_at": None,
            }
        else:
            body = {
                "valid": True,
                "student_name": certificate.student_name,
                "course_title": certificate.course_title,
                "issued_at": certificate.issued_at,
            }
        return Response(s.CertificateVerificationSerializer(body).data)


class DashboardStatsView(APIView):
    @extend_schema(responses=s.DashboardStatsSerializer)
    def get(self, request: Request) -> Response:
        stats = selectors.dashboard_stats(user=request.user)
        return Response(render(s.DashboardStatsSerializer, stats))


class ContinueLearningView(APIView):
    @extend_schema(responses=s.ContinueLearningSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator, page = _paginated(request, self, selectors.continue_learning(user=request.user))
        lessons = selectors.next_lessons(enrollments=page)
        positions = selectors.resume_positions(enrollments=page)
        items = [ContinueItem.of(enrollment, lessons, positions) for enrollment in page]
        data = s.ContinueLearningSerializer(items, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class RecommendationsView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("page_size", int, description="at most 50 in all")],
        responses=s.RecommendedCourseSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        courses = selectors.recommendations(user=request.user, limit=selectors.RECOMMENDATION_LIMIT)
        paginator, page = _paginated(request, self, courses)
        data = s.RecommendedCourseSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class CourseStudentsView(APIView):
    """An instructor's view of who studies their course and how far they got."""

    @extend_schema(
        parameters=[s.CourseStudentsFilterSerializer],
        responses=s.CourseStudentSerializer(many=True),
    )
    def get(self, request: Request, course: str) -> Response:
        filters = s.CourseStudentsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        found = selectors.course_for_progress_view(user=request.user, ref=course)
        students = selectors.course_students(
            course=found, status=filters.validated_data.get("status")
        )
        paginator, page = _paginated(request, self, students)
        data = s.CourseStudentSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)
