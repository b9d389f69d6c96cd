"""Quizzes with their questions and attempts; assignments with their submissions.

A quiz or an assignment shares its primary key with its lesson (`Quiz.id == lesson.id`), so
the catalog can show `quiz_id` / `assignment_id` on a lesson without a query. Workflows
(scoring, time limits, grading) live in `services.py` and `scoring.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lms.accounts.models import private_storage
from lms.catalog.models import Lesson
from lms.core.models import BaseModel
from lms.core.uploads import ARCHIVE_TYPES, IMAGE_TYPES, PDF_TYPES, SLIDE_TYPES, UploadPath

MAX_TIME_LIMIT_MINUTES = 24 * 60
MAX_QUESTION_POINTS = 1000
MAX_ASSIGNMENT_SCORE = 10_000
MAX_SUBMISSION_MB = 50


class ReviewVisibility(models.TextChoices):
    """When a student sees the right answers of a submitted attempt."""

    NEVER = "never", "Never"
    AFTER_SUBMIT = "after_submit", "After submitting"
    AFTER_PASS = "after_pass", "After passing"


class Quiz(BaseModel):
    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    pass_percent = models.PositiveSmallIntegerField(default=70, validators=[MaxValueValidator(100)])
    max_attempts = models.PositiveSmallIntegerField(
        null=True, blank=True, default=3, help_text="Empty: unlimited."
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TIME_LIMIT_MINUTES)],
        help_text="Empty: no time limit.",
    )
    shuffle = models.BooleanField(default=False)
    show_correct_answers = models.CharField(
        max_length=12, choices=ReviewVisibility.choices, default=ReviewVisibility.AFTER_SUBMIT
    )

    class Meta:
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_percent__lte=100), name="quiz_pass_percent_lte_100"
            ),
            models.CheckConstraint(
                condition=models.Q(max_attempts__isnull=True) | models.Q(max_attempts__gte=1),
                name="quiz_max_attempts_gte_1",
            ),
            models.CheckConstraint(
                condition=models.Q(time_limit_minutes__isnull=True)
                | models.Q(
                    time_limit_minutes__gte=1, time_limit_minutes__lte=MAX_TIME_LIMIT_MINUTES
                ),
                name="quiz_time_limit_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Quiz: {self.lesson.title}"


class QuestionType(models.TextChoices):
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    TRUE_FALSE = "true_false", "True / false"
    SHORT_TEXT = "short_text", "Short text"


CHOICE_TYPES = frozenset(
    {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.TRUE_FALSE}
)


class Question(BaseModel):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    type = models.CharField(max_length=16, choices=QuestionType.choices)
    text = models.TextField(max_length=5000)
    points = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_QUESTION_POINTS)]
    )
    order = models.PositiveIntegerField(default=0)
    # short_text only: compared after case folding and collapsing whitespace.
    accepted_answers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order", "created_at"]
        indexes = [models.Index(fields=["quiz", "order"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__gte=1, points__lte=MAX_QUESTION_POINTS),
                name="question_points_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(BaseModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=1000)
    is_correct = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "created_at"]
        indexes = [models.Index(fields=["question", "order"])]

    def __str__(self) -> str:
        return self.text[:80]


class Attempt(BaseModel):
    """One try at a quiz. It keeps its own question and choice order and its deadline."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # [question id, ...] and {question id: [choice id, ...]} as strings, fixed at start.
    question_order = models.JSONField(default=list)
    choice_order = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["student", "quiz", "-started_at"])]
        constraints = [
            # Two concurrent starts compute the same number: one of them fails here (→ 409).
            models.UniqueConstraint(
                fields=["quiz", "student", "number"], name="attempt_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} #{self.number} on {self.quiz_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class AttemptAnswer(BaseModel):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    choice_ids = models.JSONField(default=list, blank=True)
    text = models.CharField(max_length=1000, blank=True)
    points_awarded = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    is_correct = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="attempt_answer_one_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} / {self.question_id}"


class FileKind(models.TextChoices):
    """The menu of file types an assignment may accept, each a map of sniffed types."""

    PDF = "pdf", "PDF"
    IMAGE = "image", "Image (JPEG, PNG, WebP, GIF)"
    ARCHIVE = "archive", "Archive (zip, gz, tar, 7z)"
    SLIDES = "slides", "Slides (pptx, odp, ppt)"


FILE_KIND_TYPES: Mapping[str, Mapping[str, str]] = {
    FileKind.PDF: PDF_TYPES,
    FileKind.IMAGE: IMAGE_TYPES,
    FileKind.ARCHIVE: ARCHIVE_TYPES,
    FileKind.SLIDES: SLIDE_TYPES,
}


def accepted_content_types(kinds: Iterable[str]) -> dict[str, str]:
    """MIME type → extension for every kind on the menu that is in `kinds`."""
    accepted: dict[str, str] = {}
    for kind in kinds:
        accepted.update(FILE_KIND_TYPES.get(kind, {}))
    return accepted


def default_file_kinds() -> list[str]:
    return [FileKind.PDF.value]


class Assignment(BaseModel):
    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="assignment")
    instructions = models.TextField(blank=True, max_length=50_000)
    max_score = models.PositiveIntegerField(
        default=100, validators=[MinValueValidator(1), MaxValueValidator(MAX_ASSIGNMENT_SCORE)]
    )
    pass_score = models.PositiveIntegerField(default=60)
    allowed_file_types = models.JSONField(default=default_file_kinds, blank=True)
    max_file_size_mb = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(MAX_SUBMISSION_MB)]
    )
    due_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days after enrollment; empty: no due date."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_score__gte=1, max_score__lte=MAX_ASSIGNMENT_SCORE),
                name="assignment_max_score_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(pass_score__lte=models.F("max_score")),
                name="assignment_pass_score_lte_max",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    max_file_size_mb__gte=1, max_file_size_mb__lte=MAX_SUBMISSION_MB
                ),
                name="assignment_file_size_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Assignment: {self.lesson.title}"


class SubmissionStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    GRADED = "graded", "Graded"


class Submission(BaseModel):
    """A student's work on an assignment: one per student, replaced in place until graded."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignment_submissions"
    )
    text = models.TextField(blank=True, max_length=50_000)
    file = models.FileField(
        storage=private_storage, upload_to=UploadPath("assessments/submissions"), blank=True
    )
    file_content_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.SUBMITTED,
        db_index=True,
    )
    score = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    feedback = models.TextField(blank=True, max_length=20_000)
    passed = models.BooleanField(null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["assignment", "status", "-submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="submission_one_per_student"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0),
                name="submission_score_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} on {self.assignment_id}"
