"""Admin for quizzes, questions, attempts, assignments and submissions.

Every save goes through the assessments services with `by=` the staff member (their audit
lines, the question lock, grading's lesson completion and notification), as through the API.
Quizzes and assignments are created with their lessons (catalog's hook), so the admin edits
them but never adds them; attempts are read-only records of what a student did; a submission
is graded (score and feedback) through `grade_submission`, nothing else of it is edited.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from lms.accounts.current import current_user
from lms.assessments import services
from lms.assessments.models import (
    Assignment,
    Attempt,
    AttemptAnswer,
    Choice,
    Question,
    Quiz,
    Submission,
)
from lms.core.admin import ServiceAdmin

QUESTION_FIELDS = ("text", "points", "order", "accepted_answers")


def changed(form: forms.ModelForm[Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The cleaned values of the fields among `names` that the staff member changed."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names}


class QuestionInline(admin.TabularInline[Question, Quiz]):
    """Shown with the quiz; each question is edited on its own page (QuestionAdmin)."""

    model = Question
    fields = ("order", "type", "text", "points")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Quiz)
class QuizAdmin(ServiceAdmin[Quiz]):
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
    fields = ("lesson", *services.QUIZ_SETTINGS)
    readonly_fields = ("lesson",)
    list_select_related = ("lesson__course",)
    inlines = [QuestionInline]

    @admin.display(description="course")
    def course(self, quiz: Quiz) -> str:
        return quiz.lesson.course.title

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # it goes with its lesson

    def save_model(self, request: HttpRequest, obj: Quiz, form: Any, change: bool) -> None:
        data = changed(form, services.QUIZ_SETTINGS)
        if data:
            services.update_quiz_settings(
                quiz=Quiz.objects.get(pk=obj.pk), by=current_user(request), data=data
            )
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:  # the question inline is read-only: nothing saved
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class ChoiceInline(admin.TabularInline[Choice, Question]):
    """Saved as the question's whole list of choices through add_question / update_question."""

    model = Choice
    fields = ("order", "text", "is_correct")
    extra = 0


@admin.register(Question)
class QuestionAdmin(ServiceAdmin[Question]):
    list_display = ("text", "type", "points", "quiz")
    list_filter = ("type",)
    search_fields = ("text", "quiz__lesson__title")
    raw_id_fields = ("quiz",)
    list_select_related = ("quiz__lesson",)
    fields = ("quiz", "type", "text", "points", "order", "accepted_answers")
    inlines = [ChoiceInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Question | None = None) -> Any:
        # A question stays in its quiz and keeps its type (the service refuses a new type).
        return ("quiz", "type") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        pass  # with its choices, in save_related: the services take both at once

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        by = current_user(request)
        choice_formset = next(f for f in formsets if f.model is Choice)
        kept = [
            choice_form.cleaned_data
            for choice_form in choice_formset.forms
            if choice_form not in choice_formset.deleted_forms
            and choice_form.cleaned_data.get("text")
        ]
        kept.sort(key=lambda data: data.get("order") or 0)
        choices = [{"text": d["text"], "is_correct": d.get("is_correct")} for d in kept]
        # What Django's change message reads after a formset's save.
        choice_formset.new_objects, choice_formset.changed_objects = [], []
        choice_formset.deleted_objects = []
        if change:
            data = changed(form, QUESTION_FIELDS)
            if choice_formset.has_changed():
                data["choices"] = choices
            if data:
                services.update_question(question=form.instance, by=by, data=data)
        else:
            question = services.add_question(
                quiz=form.cleaned_data["quiz"],
                by=by,
                type=form.cleaned_data["type"],
                text=form.cleaned_data["text"],
                points=form.cleaned_data["points"],
                order=form.cleaned_data.get("order"),
                accepted_answers=form.cleaned_data.get("accepted_answers") or (),
                choices=choices,
            )
            form.instance.pk = question.pk
        form.instance.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Question) -> None:
        services.delete_question(question=obj, by=current_user(request))


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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a student's record (and the count of their attempts)


@admin.register(Assignment)
class AssignmentAdmin(ServiceAdmin[Assignment]):
    list_display = ("lesson", "course", "max_score", "pass_score", "max_file_size_mb", "due_days")
    search_fields = ("lesson__title", "lesson__course__title")
    fields = ("lesson", *services.ASSIGNMENT_SETTINGS)
    readonly_fields = ("lesson",)
    list_select_related = ("lesson__course",)

    @admin.display(description="course")
    def course(self, assignment: Assignment) -> str:
        return assignment.lesson.course.title

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # it goes with its lesson

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        data = changed(form, services.ASSIGNMENT_SETTINGS)
        if data:
            services.update_assignment(
                assignment=Assignment.objects.get(pk=obj.pk), by=current_user(request), data=data
            )
        obj.refresh_from_db()


@admin.register(Submission)
class SubmissionAdmin(ServiceAdmin[Submission]):
    """The grading queue: filter ungraded and late work; a score saved here is a grade given
    through `grade_submission` (the lesson completes on a pass, the student is told)."""

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
    readonly_fields = (
        "assignment",
        "student",
        "text",
        "file",
        "file_content_type",
        "file_size",
        "revision",
        "submitted_at",
        "due_at",
        "is_late",
        "status",
        "passed",
        "graded_by",
        "graded_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the student's work

    def save_model(self, request: HttpRequest, obj: Submission, form: Any, change: bool) -> None:
        if {"score", "feedback"} & set(form.changed_data) and obj.score is not None:
            services.grade_submission(
                submission=obj,
                by=current_user(request),
                score=obj.score,
                feedback=obj.feedback,
                request=request,
            )
        obj.refresh_from_db()
