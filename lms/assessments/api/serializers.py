"""Input validation and output shape of assessments; no business rules here.

Output serializers for students never carry `is_correct` or `accepted_answers`: those
fields exist only on the `*Author*` serializers, used for the course's instructors and staff.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from rest_framework import serializers

from lms.assessments.models import (
    MAX_ASSIGNMENT_SCORE,
    MAX_QUESTION_POINTS,
    MAX_SUBMISSION_MB,
    MAX_TIME_LIMIT_MINUTES,
    Attempt,
    FileKind,
    QuestionType,
    ReviewVisibility,
    Submission,
    SubmissionStatus,
)
from lms.assessments.read_models import QuizDetail
from lms.core.absolute_urls import absolute_url

# --- quizzes -----------------------------------------------------------------------------------


class QuizSettingsInputSerializer(serializers.Serializer[Any]):
    pass_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    max_attempts = serializers.IntegerField(
        min_value=1, max_value=1000, required=False, allow_null=True
    )
    time_limit_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_TIME_LIMIT_MINUTES, required=False, allow_null=True
    )
    shuffle = serializers.BooleanField(required=False)
    show_correct_answers = serializers.ChoiceField(choices=ReviewVisibility.choices, required=False)


class ChoiceStudentSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    text = serializers.CharField()


class ChoiceAuthorSerializer(ChoiceStudentSerializer):
    is_correct = serializers.BooleanField()
    order = serializers.IntegerField()


class QuestionAuthorSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    type = serializers.CharField()
    text = serializers.CharField()
    points = serializers.IntegerField()
    order = serializers.IntegerField()
    choices = ChoiceAuthorSerializer(many=True, source="choices.all")
    accepted_answers = serializers.ListField(child=serializers.CharField())


class ChoiceInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=1000)
    is_correct = serializers.BooleanField(default=False)


class QuestionInputSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=QuestionType.choices)
    text = serializers.CharField(max_length=5000)
    points = serializers.IntegerField(min_value=1, max_value=MAX_QUESTION_POINTS, default=1)
    order = serializers.IntegerField(min_value=0, required=False)
    choices = ChoiceInputSerializer(many=True, required=False, default=list)
    accepted_answers = serializers.ListField(
        child=serializers.CharField(max_length=1000), required=False, default=list
    )


class QuizDetailSerializer(serializers.Serializer[Any]):
    """A quiz's settings and totals; `questions` (with their answers) only for the course's
    authors and staff, `attempts_used` and `attempts_left` only for students: each is left
    out, not null, for everyone else."""

    # renders a `read_models.QuizDetail`

    id = serializers.UUIDField()
    lesson_id = serializers.UUIDField()
    course_id = serializers.UUIDField()
    title = serializers.CharField()
    pass_percent = serializers.IntegerField()
    max_attempts = serializers.IntegerField(allow_null=True)
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    shuffle = serializers.BooleanField()
    show_correct_answers = serializers.CharField()
    question_count = serializers.IntegerField()
    max_score = serializers.IntegerField()
    questions = QuestionAuthorSerializer(many=True, required=False)
    attempts_used = serializers.IntegerField(required=False)
    attempts_left = serializers.IntegerField(required=False, allow_null=True)

    def to_representation(self, instance: QuizDetail) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if instance.questions is None:
            del data["questions"]
        if instance.attempts_used is None:
            del data["attempts_used"], data["attempts_left"]
        return data


# --- attempts ----------------------------------------------------------------------------------


class AnswerInputSerializer(serializers.Serializer[Any]):
    question_id = serializers.UUIDField()
    choice_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=50)
    text = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class SubmitInputSerializer(serializers.Serializer[Any]):
    answers = serializers.ListField(child=AnswerInputSerializer(), max_length=500)


class AttemptQuestionSerializer(serializers.Serializer[Any]):
    """A question inside an attempt: never the right answer."""

    id = serializers.UUIDField(source="question.id")
    type = serializers.CharField(source="question.type")
    text = serializers.CharField(source="question.text")
    points = serializers.IntegerField(source="question.points")
    choices = ChoiceStudentSerializer(many=True)


class ReviewItemSerializer(serializers.Serializer[Any]):
    question_id = serializers.UUIDField()
    points = serializers.IntegerField()
    points_awarded = serializers.FloatField()
    is_correct = serializers.BooleanField()
    choice_ids = serializers.ListField(child=serializers.UUIDField())
    text = serializers.CharField()
    correct_choice_ids = serializers.ListField(child=serializers.UUIDField())
    accepted_answers = serializers.ListField(child=serializers.CharField())


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class AttemptSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    quiz_id = serializers.UUIDField()
    number = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    score = serializers.SerializerMethodField()
    max_score = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()
    passed = serializers.BooleanField(allow_null=True)

    def get_score(self, attempt: Attempt) -> float | None:
        return _number(attempt.score)

    def get_max_score(self, attempt: Attempt) -> float | None:
        return _number(attempt.max_score)

    def get_percent(self, attempt: Attempt) -> float | None:
        return _number(attempt.percent)


class CourseAttemptsFilterSerializer(serializers.Serializer[Any]):
    student = serializers.UUIDField(required=False, help_text="One student's attempts.")
    quiz = serializers.UUIDField(required=False, help_text="One quiz's attempts.")


class QuizAttemptsFilterSerializer(serializers.Serializer[Any]):
    student = serializers.UUIDField(required=False, help_text="Instructors: one student's.")


class CourseSubmissionsFilterSerializer(serializers.Serializer[Any]):
    student = serializers.UUIDField(required=False, help_text="One student's submissions.")
    assignment = serializers.UUIDField(required=False, help_text="One assignment's.")
    status = serializers.ChoiceField(choices=SubmissionStatus.choices, required=False)


class AttemptSerializer(serializers.Serializer[Any]):
    """An attempt as its student sees it: the questions in the attempt's own order, never the
    right answer; `review` once the quiz's settings show it (else null)."""

    # renders a `selectors.AttemptView`

    id = serializers.UUIDField(source="attempt.id")
    quiz_id = serializers.UUIDField(source="attempt.quiz_id")
    number = serializers.IntegerField(source="attempt.number")
    started_at = serializers.DateTimeField(source="attempt.started_at")
    deadline = serializers.DateTimeField(source="attempt.deadline", allow_null=True)
    submitted_at = serializers.DateTimeField(source="attempt.submitted_at", allow_null=True)
    score = serializers.FloatField(source="attempt.score", allow_null=True)
    max_score = serializers.FloatField(source="attempt.max_score", allow_null=True)
    percent = serializers.FloatField(source="attempt.percent", allow_null=True)
    passed = serializers.BooleanField(source="attempt.passed", allow_null=True)
    status = serializers.ChoiceField(choices=["in_progress", "submitted", "expired"])
    questions = AttemptQuestionSerializer(many=True)
    review = ReviewItemSerializer(many=True, allow_null=True)


class SubmitResultSerializer(serializers.Serializer[Any]):
    """A submitted attempt's scores and review, with the student's enrollment after it (a pass
    may complete the course): `certificate_status` "issued" (with `certificate_id`),
    "issuing" (poll the enrollment) or null."""

    # renders a `read_models.SubmitResult`
    certificate_status = serializers.ChoiceField(choices=["issued", "issuing"], allow_null=True)
    certificate_id = serializers.UUIDField(allow_null=True)
    attempt_id = serializers.UUIDField(source="attempt.id")
    score = serializers.FloatField(source="attempt.score")
    max_score = serializers.FloatField(source="attempt.max_score")
    percent = serializers.FloatField(source="attempt.percent")
    passed = serializers.BooleanField(source="attempt.passed")
    submitted_at = serializers.DateTimeField(source="attempt.submitted_at")
    review = ReviewItemSerializer(many=True, allow_null=True)


# --- assignments -------------------------------------------------------------------------------


class AssignmentDetailSerializer(serializers.Serializer[Any]):
    """An assignment; `due_at` is the enrolled student's own due date (null for everyone
    else)."""

    # renders a `read_models.AssignmentDetail`

    id = serializers.UUIDField()
    lesson_id = serializers.UUIDField()
    course_id = serializers.UUIDField()
    title = serializers.CharField()
    instructions = serializers.CharField()
    max_score = serializers.IntegerField()
    pass_score = serializers.IntegerField()
    allowed_file_types = serializers.ListField(child=serializers.CharField())
    max_file_size_mb = serializers.IntegerField()
    due_days = serializers.IntegerField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class AssignmentInputSerializer(serializers.Serializer[Any]):
    instructions = serializers.CharField(max_length=50_000, allow_blank=True, required=False)
    max_score = serializers.IntegerField(
        min_value=1, max_value=MAX_ASSIGNMENT_SCORE, required=False
    )
    pass_score = serializers.IntegerField(
        min_value=0, max_value=MAX_ASSIGNMENT_SCORE, required=False
    )
    allowed_file_types = serializers.ListField(
        child=serializers.ChoiceField(choices=FileKind.choices), required=False, max_length=10
    )
    max_file_size_mb = serializers.IntegerField(
        min_value=1, max_value=MAX_SUBMISSION_MB, required=False
    )
    due_days = serializers.IntegerField(
        min_value=0, max_value=3650, required=False, allow_null=True
    )


class SubmissionInputSerializer(serializers.Serializer[Any]):
    """The file is validated by content in the service, against the assignment's own rules."""

    text = serializers.CharField(max_length=50_000, required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_null=True, allow_empty_file=True)


class SubmissionPersonSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.SerializerMethodField()
    email = serializers.EmailField()

    def get_name(self, user: Any) -> str:
        return str(user.full_name)


class StudentAttemptSerializer(AttemptSummarySerializer):
    """An attempt as the course's instructors see it in their lists: whose it is and at
    which quiz (`selectors.attempts_in_course`, student and lesson joined)."""

    student = SubmissionPersonSerializer()
    quiz_title = serializers.CharField(source="quiz.lesson.title")


class SubmissionSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    assignment_id = serializers.UUIDField()
    student = SubmissionPersonSerializer()
    text = serializers.CharField()
    file_url = serializers.SerializerMethodField()
    file_content_type = serializers.CharField()
    file_size = serializers.IntegerField(allow_null=True)
    revision = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    is_late = serializers.BooleanField()
    status = serializers.CharField()
    score = serializers.SerializerMethodField()
    passed = serializers.BooleanField(allow_null=True)
    feedback = serializers.CharField()
    graded_by = SubmissionPersonSerializer(allow_null=True)
    graded_at = serializers.DateTimeField(allow_null=True)

    def get_file_url(self, submission: Submission) -> str | None:
        if not submission.file:
            return None
        path = reverse("submission-file", kwargs={"pk": submission.pk})
        return absolute_url(path, self.context.get("request"))

    def get_score(self, submission: Submission) -> float | None:
        return _number(submission.score)


class GradeInputSerializer(serializers.Serializer[Any]):
    score = serializers.DecimalField(max_digits=9, decimal_places=2)
    feedback = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True, default=""
    )
