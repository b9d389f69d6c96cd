"""Input validation and output shapes of the learning API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from lms.accounts.names import display_name_of_row
from lms.core.absolute_urls import absolute_url, file_url
from lms.core.serializers import AmountField
from lms.learning import selectors
from lms.learning.models import Certificate, CompletedBy, Enrollment, EnrollmentStatus

# --- input -------------------------------------------------------------------------------------


class MarkLessonCompleteInputSerializer(serializers.Serializer[Any]):
    lesson_id = serializers.UUIDField()


class LessonPositionInputSerializer(serializers.Serializer[Any]):
    position_seconds = serializers.IntegerField(min_value=0, max_value=24 * 3600)
    completed = serializers.BooleanField(default=False)


class CourseStudentsFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, required=False)


# --- output ------------------------------------------------------------------------------------


def person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": user.full_name}


class CourseSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    thumbnail = serializers.SerializerMethodField()
    instructor = serializers.SerializerMethodField()

    def get_thumbnail(self, course: Any) -> str | None:
        return file_url(course.thumbnail, self.context.get("request"))

    def get_instructor(self, course: Any) -> dict[str, Any]:
        return person(course.instructor)


class LessonSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    type = serializers.CharField()


class EnrollmentSerializer(serializers.ModelSerializer[Enrollment]):
    course = CourseSummarySerializer()
    last_lesson = LessonSummarySerializer(allow_null=True)
    progress_percent = serializers.SerializerMethodField()
    lessons_completed = serializers.SerializerMethodField()
    lessons_total = serializers.SerializerMethodField()
    certificate_id = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "course",
            "status",
            "source",
            "progress_percent",
            "lessons_completed",
            "lessons_total",
            "enrolled_at",
            "completed_at",
            "last_accessed_at",
            "last_lesson",
            "certificate_id",
        ]

    def get_progress_percent(self, enrollment: Enrollment) -> float:
        return selectors.live_percent(enrollment)

    def get_lessons_completed(self, enrollment: Enrollment) -> int | None:
        return getattr(enrollment, "lessons_done", None)

    def get_lessons_total(self, enrollment: Enrollment) -> int | None:
        return getattr(enrollment, "lessons_total", None)

    def get_certificate_id(self, enrollment: Enrollment) -> str | None:
        certificate = getattr(enrollment, "certificate", None)
        return str(certificate.pk) if certificate is not None else None


_DATETIME = serializers.DateTimeField()


def enrollment_row_body(row: dict[str, Any], *, request: Any = None) -> dict[str, Any]:
    """What `EnrollmentSerializer` answers, from a `selectors.completion_snapshot` row."""
    name = display_name_of_row(row, "course__instructor__")
    last_lesson = None
    if row["last_lesson_id"] is not None:
        last_lesson = {
            "id": str(row["last_lesson_id"]),
            "title": row["last_lesson__title"],
            "type": row["last_lesson__type"],
        }
    certificate_id = row["certificate__id"]
    done = row["lessons_done"] or 0
    total = row["lessons_total"] or 0
    return {
        "id": str(row["id"]),
        "course": {
            "id": str(row["course_id"]),
            "slug": row["course__slug"],
            "title": row["course__title"],
            "thumbnail": file_url(row["course__thumbnail"], request),
            "instructor": {"id": row["course__instructor_id"], "name": name},
        },
        "status": row["status"],
        "source": row["source"],
        "progress_percent": selectors.percent(done, total),
        "lessons_completed": done,
        "lessons_total": total,
        "enrolled_at": _DATETIME.to_representation(row["enrolled_at"]),
        "completed_at": _DATETIME.to_representation(row["completed_at"]),
        "last_accessed_at": _DATETIME.to_representation(row["last_accessed_at"]),
        "last_lesson": last_lesson,
        "certificate_id": str(certificate_id) if certificate_id is not None else None,
    }


class LessonProgressSerializer(serializers.Serializer[Any]):
    lesson_id = serializers.UUIDField()
    type = serializers.CharField()
    # `quiz` / `assignment`: only passing the lesson's assessment completes it
    completed_by = serializers.ChoiceField(choices=CompletedBy.choices)
    completed_at = serializers.DateTimeField(allow_null=True)
    position_seconds = serializers.IntegerField()


class EnrollmentDetailSerializer(EnrollmentSerializer):
    lessons = serializers.SerializerMethodField()

    class Meta(EnrollmentSerializer.Meta):
        fields = [*EnrollmentSerializer.Meta.fields, "lessons"]

    def get_lessons(self, enrollment: Enrollment) -> list[dict[str, Any]]:
        rows = selectors.lesson_progress_of(enrollment=enrollment)
        return list(LessonProgressSerializer(rows, many=True).data)


class LessonPositionSerializer(serializers.Serializer[Any]):
    lesson_id = serializers.UUIDField()
    position_seconds = serializers.IntegerField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    progress_percent = serializers.FloatField()


class CertificateSerializer(serializers.ModelSerializer[Certificate]):
    course = serializers.SerializerMethodField()
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

    def get_course(self, certificate: Certificate) -> dict[str, Any]:
        course = certificate.course
        return {"id": course.pk, "slug": course.slug, "title": course.title}

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
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    thumbnail = serializers.CharField(allow_null=True)
    level = serializers.CharField()
    language = serializers.CharField()
    price = AmountField()
    currency = serializers.CharField()
    is_free = serializers.BooleanField()
    rating = serializers.FloatField()
    review_count = serializers.IntegerField()
    enrollment_count = serializers.IntegerField()
    lesson_count = serializers.IntegerField()
    instructor = serializers.DictField()
    score = serializers.IntegerField()


class CourseStudentSerializer(serializers.ModelSerializer[Enrollment]):
    student = serializers.SerializerMethodField()
    progress_percent = serializers.SerializerMethodField()
    lessons_completed = serializers.SerializerMethodField()
    lessons_total = serializers.SerializerMethodField()
    last_activity_at = serializers.SerializerMethodField()
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

    def get_student(self, enrollment: Enrollment) -> dict[str, Any]:
        student = enrollment.student
        return {
            "id": student.pk,
            "name": student.full_name,
            "email": student.email,
            "avatar": file_url(student.avatar, self.context.get("request")),
        }

    def get_progress_percent(self, enrollment: Enrollment) -> float:
        return selectors.live_percent(enrollment)

    def get_lessons_completed(self, enrollment: Enrollment) -> int | None:
        return getattr(enrollment, "lessons_done", None)

    def get_lessons_total(self, enrollment: Enrollment) -> int | None:
        return getattr(enrollment, "lessons_total", None)

    def get_last_activity_at(self, enrollment: Enrollment) -> Any:
        return getattr(enrollment, "last_activity_at", None)
