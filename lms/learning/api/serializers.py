"""Input validation and output shapes of the learning API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.core.absolute_urls import absolute_url
from lms.core.serializers import AmountField, FileUrlField
from lms.learning import selectors
from lms.learning.models import Certificate, CompletedBy, Enrollment, EnrollmentStatus
from lms.learning.read_models import EnrollmentSummary

# --- input -------------------------------------------------------------------------------------


class MarkLessonCompleteInputSerializer(serializers.Serializer[Any]):
    lesson_id = serializers.UUIDField()


class LessonPositionInputSerializer(serializers.Serializer[Any]):
    position_seconds = serializers.IntegerField(min_value=0, max_value=24 * 3600)
    completed = serializers.BooleanField(default=False)


class CourseStudentsFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, required=False)


# --- output ------------------------------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()


class _SlugField(serializers.SlugField):
    """A slug in an answer (documented with its pattern, as `SlugField`), renderable by
    `lms.core.rendering` (which falls back to DRF for field types it does not know)."""

    def fast_representation(self, instance: Any, value: Any, context: Mapping[str, Any]) -> str:
        return str(value)


class CourseSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    slug = _SlugField()
    title = serializers.CharField()
    thumbnail = FileUrlField()
    instructor = PersonRefSerializer()


class LessonSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    type = serializers.CharField()


class EnrollmentSerializer(serializers.Serializer[Any]):
    """An `EnrollmentSummary` (lms/learning/read_models.py): the one enrollment shape of the
    list, the enroll answer and the completion answer."""

    id = serializers.UUIDField()
    course = CourseSummarySerializer()
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    # a field named like DRF's `Field.source` attribute (the metaclass moves it to the fields)
    source = serializers.CharField()  # type: ignore[assignment]
    progress_percent = serializers.FloatField()
    lessons_completed = serializers.IntegerField(allow_null=True)
    lessons_total = serializers.IntegerField(allow_null=True)
    enrolled_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    last_accessed_at = serializers.DateTimeField(allow_null=True)
    last_lesson = LessonSummarySerializer(allow_null=True)
    certificate_id = serializers.UUIDField(allow_null=True)
    # "issued" (certificate_id set), "issuing" (completed, the certificate is being made: poll
    # GET /enrollments/{id}/), null (not completed)
    certificate_status = serializers.ChoiceField(choices=["issued", "issuing"], allow_null=True)


class LessonProgressSerializer(serializers.Serializer[Any]):
    lesson_id = serializers.UUIDField()
    type = serializers.CharField()
    # `quiz` / `assignment`: only passing the lesson's assessment completes it
    completed_by = serializers.ChoiceField(choices=CompletedBy.choices)
    completed_at = serializers.DateTimeField(allow_null=True)
    position_seconds = serializers.IntegerField()


class EnrollmentDetailSerializer(EnrollmentSerializer):
    """The summary and every current lesson with this enrollment's progress on it."""

    lessons = serializers.SerializerMethodField()

    @extend_schema_field(LessonProgressSerializer(many=True))
    def get_lessons(self, enrollment: EnrollmentSummary) -> list[dict[str, Any]]:
        rows = selectors.lesson_progress_of(
            enrollment_id=enrollment.id, course_id=enrollment.course.id
        )
        return list(LessonProgressSerializer(rows, many=True).data)


class LessonPositionSerializer(serializers.Serializer[Any]):
    """Renders `read_models.LessonPosition`."""

    lesson_id = serializers.UUIDField()
    position_seconds = serializers.IntegerField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    progress_percent = serializers.FloatField()
    # The enrollment after this save: a completion may have completed the course.
    enrollment_status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    certificate_id = serializers.UUIDField(allow_null=True)
    # "issued" (certificate_id set), "issuing" (the certificate is being made: poll the
    # enrollment), None (the course is not completed)
    certificate_status = serializers.ChoiceField(choices=["issued", "issuing"], allow_null=True)


class CertificateCourseSerializer(serializers.Serializer[Any]):
    """A course by its id, slug and title (the `Course` selected with what names it)."""

    id = serializers.UUIDField()
    slug = serializers.CharField()
    title = serializers.CharField()


class CertificateSerializer(serializers.ModelSerializer[Certificate]):
    """A `Certificate` of `selectors.certificates_of` (its course joined); the names are the
    ones printed at issue."""

    course = CertificateCourseSerializer()
    instructor_names = serializers.ListField(child=serializers.CharField(), read_only=True)
    pdf_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "code",
            "course",
            "course_title",
            "student_name",
            "instructor_names",
            "issued_at",
            "pdf_url",
            "verify_url",
        ]

    def get_pdf_url(self, certificate: Certificate) -> str:
        from django.urls import reverse

        path = reverse("learning-certificate-pdf", kwargs={"certificate_id": certificate.pk})
        return absolute_url(path, self.context.get("request"))

    def get_verify_url(self, certificate: Certificate) -> str:
        from lms.learning.certificates import verification_url

        return verification_url(certificate.code)


class CertificateVerificationSerializer(serializers.Serializer[Any]):
    valid = serializers.BooleanField()
    student_name = serializers.CharField(allow_null=True)
    course_title = serializers.CharField(allow_null=True)
    issued_at = serializers.DateTimeField(allow_null=True)


class DashboardStatsSerializer(serializers.Serializer[Any]):
    enrolled_count = serializers.IntegerField()
    completed_count = serializers.IntegerField()
    in_progress_count = serializers.IntegerField()
    certificate_count = serializers.IntegerField()
    current_streak = serializers.IntegerField()
    longest_streak = serializers.IntegerField()
    learning_minutes_7d = serializers.IntegerField()
    timezone = serializers.CharField()


class NextLessonSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    type = serializers.CharField()
    duration_seconds = serializers.IntegerField()
    section_title = serializers.CharField()
    position_seconds = serializers.IntegerField()


class ContinueLearningSerializer(serializers.Serializer[Any]):
    enrollment_id = serializers.UUIDField()
    course = CourseSummarySerializer()
    progress_percent = serializers.FloatField()
    last_accessed_at = serializers.DateTimeField(allow_null=True)
    next_lesson = NextLessonSerializer(allow_null=True)


class RecommendedCourseSerializer(serializers.Serializer[Any]):
    """A course recommended to the caller, best `score` first (0 when ranked by popularity
    alone); `thumbnail` is an absolute URL, as in the course lists."""

    id = serializers.UUIDField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    thumbnail = FileUrlField()
    level = serializers.CharField()
    language = serializers.CharField()
    price = AmountField()
    currency = serializers.CharField()
    is_free = serializers.BooleanField()
    rating = serializers.FloatField()
    review_count = serializers.IntegerField()
    enrollment_count = serializers.IntegerField()
    lesson_count = serializers.IntegerField()
    instructor = PersonRefSerializer()
    score = serializers.IntegerField()


class StudentRefSerializer(serializers.Serializer[Any]):
    """A student as the course's instructor sees them (the `User` selected with the
    enrollment); `name` is `User.full_name` (lms.accounts.names)."""

    id = serializers.UUIDField()
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()
    avatar = FileUrlField()


class CourseStudentSerializer(serializers.ModelSerializer[Enrollment]):
    """An `Enrollment` of `selectors.course_students`: its student joined, the live progress
    and the last activity annotated."""

    student = StudentRefSerializer()
    progress_percent = serializers.SerializerMethodField()
    lessons_completed = serializers.SerializerMethodField()
    lessons_total = serializers.SerializerMethodField()
    last_activity_at = serializers.DateTimeField(read_only=True, allow_null=True, default=None)
    last_lesson = LessonSummarySerializer(allow_null=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "student",
            "status",
            "source",
            "progress_percent",
            "lessons_completed",
            "lessons_total",
            "enrolled_at",
            "completed_at",
            "last_accessed_at",
            "last_activity_at",
            "last_lesson",
        ]

    def get_progress_percent(self, enrollment: Enrollment) -> float:
        return selectors.live_percent(enrollment)

    def get_lessons_completed(self, enrollment: Enrollment) -> int | None:
        return getattr(enrollment, "lessons_done", None)

    def get_lessons_total(self, enrollment: Enrollment) -> int | None:
        return getattr(enrollment, "lessons_total", None)
