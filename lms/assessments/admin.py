"""Admin for quizzes, questions, attempts, assignments and submissions.

Quizzes and assignments are created with their lessons (catalog's hook), so the admin
edits them but never adds them; attempts are read-only records of what a student did.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lms.assessments.models import (
    Assignment,
    Attempt,
    AttemptAnswer,
    Choice,
    Question,
    Quiz,
    Submission,
)


class QuestionInline(admin.TabularInline[Question, Quiz]):
    model = Question
    fields = ("order", "type", "text", "points")
    extra = 0
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin[Quiz]):
    list_display = (
        "lesson",
        "course",
        "pass_percent",
        "max_attempts",
        "time_limit_minutes",
        "shuffle",
    )
    list_filter = ("shuffle", "show_correct_answers")
    search_fields = ("lesson__title", "lesson__course__title")
    raw_id_fields = ("lesson",)
    list_select_related = ("lesson__course",)
    inlines = [QuestionInline]

    @admin.display(description="course")
    def course(self, quiz: Quiz) -> str:
        return quiz.lesson.course.title

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ChoiceInline(admin.TabularInline[Choice, Question]):
    model = Choice
    fields = ("order", "text", "is_correct")
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin[Question]):
    list_display = ("text", "type", "points", "quiz")
    list_filter = ("type",)
    search_fields = ("text", "quiz__lesson__title")
    raw_id_fields = ("quiz",)
    list_select_related = ("quiz__lesson",)
    inlines = [ChoiceInline]


class AttemptAnswerInline(admin.TabularInline[AttemptAnswer, Attempt]):
    model = AttemptAnswer
    fields = ("question", "choice_ids", "text", "points_awarded", "is_correct")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin[Attempt]):
    list_display = ("student", "quiz", "number", "started_at", "submitted_at", "percent", "passed")
    list_filter = ("passed", ("submitted_at", admin.EmptyFieldListFilter))
    search_fields = ("student__email", "quiz__lesson__title")
    date_hierarchy = "started_at"
    list_select_related = ("student", "quiz__lesson")
    readonly_fields = (
        "quiz",
        "student",
        "number",
        "started_at",
        "deadline",
        "submitted_at",
        "question_order",
        "choice_order",
        "score",
        "max_score",
        "percent",
        "passed",
    )
    inlines = [AttemptAnswerInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin[Assignment]):
    list_display = ("lesson", "course", "max_score", "pass_score", "max_file_size_mb", "due_days")
    search_fields = ("lesson__title", "lesson__course__title")
    raw_id_fields = ("lesson",)
    list_select_related = ("lesson__course",)

    @admin.display(description="course")
    def course(self, assignment: Assignment) -> str:
        return assignment.lesson.course.title

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin[Submission]):
    """The grading queue: filter ungraded and late work."""

    list_display = (
        "student",
        "assignment",
        "status",
        "score",
        "is_late",
        "submitted_at",
        "revision",
    )
    list_filter = ("status", "is_late", "passed")
    search_fields = ("student__email", "assignment__lesson__title")
    date_hierarchy = "submitted_at"
    list_select_related = ("student", "assignment__lesson")
    raw_id_fields = ("assignment", "student", "graded_by")
    readonly_fields = (
        "assignment",
        "student",
        "file",
        "file_content_type",
        "file_size",
        "revision",
        "submitted_at",
        "due_at",
        "is_late",
        "graded_by",
        "graded_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
