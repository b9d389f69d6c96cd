"""Learning data: who is enrolled where, how far they got, what they earned and when they studied.

Workflows (enrolling, completing lessons, issuing certificates, streaks) live in `services.py`
and `selectors.py`; this module states the data and the invariants the database enforces.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lms.accounts.models import private_storage
from lms.catalog.models import Course, Lesson, LessonType
from lms.core.models import BaseModel
from lms.core.uploads import UploadPath


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    REVOKED = "revoked", "Revoked"


class EnrollmentSource(models.TextChoices):
    FREE = "free", "Free course"
    PURCHASE = "purchase", "Purchase"
    STAFF_GRANT = "staff_grant", "Granted by staff"


# Statuses that give access to a course's content (a revoked enrollment loses it at once).
ACCESS_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)


class Enrollment(BaseModel):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    source = models.CharField(max_length=12, choices=EnrollmentSource.choices)
    enrolled_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=300, blank=True)
    last_accessed_at = models.DateTimeField(null=True, blank=True)
    last_lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Snapshot taken whenever progress is written; reads recompute it over the current lessons.
    progress_percent = models.FloatField(default=0)

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="one_enrollment_per_course"),
            models.CheckConstraint(
                condition=models.Q(progress_percent__gte=0) & models.Q(progress_percent__lte=100),
                name="enrollment_progress_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "-enrolled_at"], name="enrollment_student_idx"),
            models.Index(fields=["course", "status"], name="enrollment_course_status_idx"),
            # Analytics' enrollment series (per course, platform-wide): index-only scans.
            models.Index(
                fields=["course", "enrolled_at"],
                include=["status"],
                name="enrollment_course_time_idx",
            ),
            models.Index(fields=["enrolled_at"], include=["status"], name="enrollment_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.course_id} ({self.status})"

    @property
    def gives_access(self) -> bool:
        return self.status in ACCESS_STATUSES


class CompletedBy(models.TextChoices):
    """What completes a lesson: the student's own word, or passing its assessment."""

    STUDENT = "student", "The student marks it complete"
    QUIZ = "quiz", "A passing quiz attempt"
    ASSIGNMENT = "assignment", "A passing assignment grade"


def completed_by(lesson_type: str) -> CompletedBy:
    """Quiz lessons complete only by a passing attempt, assignment lessons only by a passing
    grade; every other lesson by the student."""
    if lesson_type == LessonType.QUIZ:
        return CompletedBy.QUIZ
    if lesson_type == LessonType.ASSIGNMENT:
        return CompletedBy.ASSIGNMENT
    return CompletedBy.STUDENT


class LessonProgress(BaseModel):
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    # Deleting a lesson deletes its progress: a removed lesson is not counted any more.
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress_records")
    completed_at = models.DateTimeField(null=True, blank=True)
    position_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson"], name="one_progress_per_lesson"
            ),
        ]
        indexes = [
            models.Index(fields=["lesson", "completed_at"], name="progress_lesson_done_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}/{self.lesson_id}"


class Certificate(BaseModel):
    """Issued once per enrollment; the names are frozen at issue, as on a printed certificate."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="certificate"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    code = models.CharField(max_length=20, unique=True)
    issued_at = models.DateTimeField(default=timezone.now)
    student_name = models.CharField(max_length=300)
    course_title = models.CharField(max_length=200)
    instructor_names = models.JSONField(default=list)
    pdf = models.FileField(
        storage=private_storage, upload_to=UploadPath("certificates"), blank=True
    )

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["student", "-issued_at"], name="certificate_student_idx")]

    def __str__(self) -> str:
        return self.code


class ActivityKind(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    LESSON_PROGRESS = "lesson_progress", "Watched part of a lesson"
    LESSON_COMPLETED = "lesson_completed", "Completed a lesson"
    QUIZ_SUBMITTED = "quiz_submitted", "Submitted a quiz"
    ASSIGNMENT_SUBMITTED = "assignment_submitted", "Submitted an assignment"
    COURSE_COMPLETED = "course_completed", "Completed a course"


class ActivityEvent(BaseModel):
    """One learning action; streaks and study time are read from these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_events"
    )
    kind = models.CharField(max_length=24, choices=ActivityKind.choices)
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seconds = models.PositiveIntegerField(default=0)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["user", "-occurred_at"], name="activity_user_time_idx"),
            models.Index(fields=["course", "-occurred_at"], name="activity_course_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"
