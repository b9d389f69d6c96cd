"""Every write of assessments: quizzes and their questions, attempts, assignments, grading.

Plain functions with keyword-only arguments, one transaction each. Passing a quiz or an
assignment completes its lesson through `learning.services.complete_lesson`; lock order is
in `locks.py`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail, ValidationError

from lms.accounts.models import User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.catalog.models import Lesson, LessonType
from lms.core.errors import Conflict, Invalid, PermissionDenied, UnsupportedMediaType
from lms.core.uploads import MB, validate_upload
from lms.learning.models import ActivityKind, CompletedBy, Enrollment
from lms.learning.selectors import active_enrollment
from lms.learning.services import complete_lesson, record_activity
from lms.notifications.models import Category
from lms.notifications.services import notify

from . import locks, scoring
from .errors import AssessmentError
from .models import (
    CHOICE_TYPES,
    Assignment,
    Attempt,
    AttemptAnswer,
    Choice,
    FileKind,
    Question,
    QuestionType,
    Quiz,
    Submission,
    SubmissionStatus,
    accepted_content_types,
)
from .selectors import questions_of

# An answer sent this long after the deadline still counts: the network and a slow phone
# should not cost a student an attempt they submitted on time.
SUBMIT_GRACE_SECONDS = 10
# Study time credited for one attempt without a time limit, at most.
MAX_CREDITED_ATTEMPT_SECONDS = 3 * 60 * 60
MAX_CHOICES = 20
MAX_ACCEPTED_ANSWERS = 50

_shuffler = random.SystemRandom()


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ErrorDetail(message, code=code)]})


def _dropping_file_on_commit(file_name: str, storage: Any) -> None:
    transaction.on_commit(lambda: storage.delete(file_name))


# --- lessons -----------------------------------------------------------------------------------


def ensure_lesson_assessment(lesson: Lesson) -> None:
    """Give a quiz lesson its quiz and an assignment lesson its assignment, with the lesson's
    id (catalog's lesson output names them by it: `quiz_id`, `assignment_id`).

    Registered with `catalog.hooks` and called by catalog after a lesson is created or its
    type changes; idempotent. A lesson that changes to another type keeps its quiz (and its
    attempts) hidden until it becomes a quiz again.
    """
    if lesson.type == LessonType.QUIZ:
        Quiz.objects.get_or_create(lesson=lesson, defaults={"id": lesson.pk})
    elif lesson.type == LessonType.ASSIGNMENT:
        Assignment.objects.get_or_create(lesson=lesson, defaults={"id": lesson.pk})


# --- quiz authoring ----------------------------------------------------------------------------

QUIZ_SETTINGS = (
    "pass_percent",
    "max_attempts",
    "time_limit_minutes",
    "shuffle",
    "show_correct_answers",
)


@transaction.atomic
def update_quiz_settings(*, quiz: Quiz, by: User, data: Mapping[str, Any]) -> Quiz:
    """Change the quiz's settings; attempts already started keep their deadline and order."""
    changed = {name: data[name] for name in QUIZ_SETTINGS if name in data}
    for name, value in changed.items():
        setattr(quiz, name, value)
    quiz.full_clean(exclude=["lesson"])
    quiz.save()
    record(
        action=AuditAction.ASSESSMENTS_QUIZ_UPDATED,
        actor=by,
        target=quiz,
        data=dict(changed),
    )
    return quiz


def _clean_choices(question_type: str, choices: Sequence[Mapping[str, Any]]) -> None:
    if question_type not in CHOICE_TYPES:
        if choices:
            raise _field_error(
                "choices", "A short text question has no choices.", AssessmentError.INVALID_CHOICES
            )
        return
    if question_type == QuestionType.TRUE_FALSE and len(choices) != 2:
        raise _field_error(
            "choices",
            "A true/false question has exactly two choices.",
            AssessmentError.INVALID_CHOICES,
        )
    if not 2 <= len(choices) <= MAX_CHOICES:
        raise _field_error(
            "choices", f"Give between 2 and {MAX_CHOICES} choices.", AssessmentError.INVALID_CHOICES
        )
    texts = [str(choice.get("text", "")).strip() for choice in choices]
    if not all(texts) or len({text.casefold() for text in texts}) != len(texts):
        raise _field_error(
            "choices",
            "Every choice needs its own, non-empty text.",
            AssessmentError.INVALID_CHOICES,
        )
    correct = sum(1 for choice in choices if choice.get("is_correct"))
    if question_type == QuestionType.MULTIPLE_CHOICE:
        if correct < 1:
            raise _field_error(
                "choices", "Mark at least one choice as correct.", AssessmentError.INVALID_CHOICES
            )
    elif correct != 1:
        raise _field_error(
            "choices", "Mark exactly one choice as correct.", AssessmentError.INVALID_CHOICES
        )


def _clean_accepted_answers(question_type: str, answers: Sequence[str]) -> list[str]:
    cleaned = [" ".join(str(answer).split()) for answer in answers]
    if question_type != QuestionType.SHORT_TEXT:
        if cleaned:
            raise _field_error(
                "accepted_answers",
                "Only a short text question has accepted answers.",
                AssessmentError.INVALID_ACCEPTED_ANSWERS,
            )
        return []
    cleaned = [answer for answer in cleaned if answer]
    if not 1 <= len(cleaned) <= MAX_ACCEPTED_ANSWERS:
        raise _field_error(
            "accepted_answers",
            f"Give between 1 and {MAX_ACCEPTED_ANSWERS} accepted answers.",
            AssessmentError.INVALID_ACCEPTED_ANSWERS,
        )
    return cleaned


@transaction.atomic
def add_question(
    *,
    quiz: Quiz,
    by: User,
    type: str,
    text: str,
    points: int = 1,
    choices: Sequence[Mapping[str, Any]] = (),
    accepted_answers: Sequence[str] = (),
    order: int | None = None,
) -> Question:
    """A new question at the end of the quiz (unless an order is given), with its choices."""
    _clean_choices(type, choices)
    answers = _clean_accepted_answers(type, accepted_answers)
    if order is None:
        last = (
            Question.objects.filter(quiz=quiz)
            .order_by("-order")
            .values_list("order", flat=True)
            .first()
        )
        order = 0 if last is None else last + 1
    question = Question(
        quiz=quiz,
        type=type,
        text=text.strip(),
        points=points,
        order=order,
        accepted_answers=answers,
    )
    question.full_clean(exclude=["quiz"])
    question.save()
    Choice.objects.bulk_create(
        Choice(
            question=question,
            text=str(choice["text"]).strip(),
            is_correct=bool(choice.get("is_correct")),
            order=index,
        )
        for index, choice in enumerate(choices)
    )
    record(
        action=AuditAction.ASSESSMENTS_QUESTION_ADDED,
        actor=by,
        target=question,
        data={"quiz_id": str(quiz.pk)},
    )
    return question


QUESTION_FIELDS = ("text", "points", "order", "choices", "accepted_answers")


def _replace_choices(question: Question, choices: Sequence[Mapping[str, Any]]) -> None:
    """Make `choices` the question's choices, in that order.

    A choice whose text is still there (ignoring case) keeps its id, so an open attempt's
    answer to it still counts; the other old choices are deleted and the new ones created.
    """
    by_text = {choice.text.casefold(): choice for choice in question.choices.all()}
    now = timezone.now()
    kept: list[Choice] = []
    added: list[Choice] = []
    for index, given in enumerate(choices):
        text = str(given["text"]).strip()
        is_correct = bool(given.get("is_correct"))
        choice = by_text.pop(text.casefold(), None)
        if choice is None:
            added.append(Choice(question=question, text=text, is_correct=is_correct, order=index))
            continue
        choice.text = text
        choice.is_correct = is_correct
        choice.order = index
        choice.updated_at = now  # bulk_update skips auto_now
        kept.append(choice)
    kept_ids = {choice.pk for choice in kept}
    Choice.objects.filter(question=question).exclude(pk__in=kept_ids).delete()
    Choice.objects.bulk_update(kept, ["text", "is_correct", "order", "updated_at"])
    Choice.objects.bulk_create(added)


@transaction.atomic
def update_question(*, question: Question, by: User, data: Mapping[str, Any]) -> Question:
    """Edit a question in place; its type is fixed. Submitted attempts keep their scores.

    Open attempts are scored against the edited question when they are submitted.
    """
    question = locks.lock_question(question.pk)
    if "type" in data and data["type"] != question.type:
        raise _field_error(
            "type",
            "A question's type can't change: delete it and add a new one.",
            AssessmentError.QUESTION_TYPE_LOCKED,
        )
    changed = [name for name in QUESTION_FIELDS if name in data]
    if "text" in data:
        question.text = str(data["text"]).strip()
    if "points" in data:
        question.points = data["points"]
    if "order" in data:
        question.order = data["order"]
    if "accepted_answers" in data:
        question.accepted_answers = _clean_accepted_answers(question.type, data["accepted_answers"])
    if "choices" in data:
        _clean_choices(question.type, data["choices"])
    question.full_clean(exclude=["quiz"])
    question.save()
    if "choices" in data:
        _replace_choices(question, data["choices"])
    record(
        action=AuditAction.ASSESSMENTS_QUESTION_UPDATED,
        actor=by,
        target=question,
        data={"quiz_id": str(question.quiz_id), "fields": changed},
    )
    return question


@transaction.atomic
def delete_question(*, question: Question, by: User) -> None:
    """Remove a question; attempts already submitted keep their scores, open ones skip it."""
    record(
        action=AuditAction.ASSESSMENTS_QUESTION_DELETED,
        actor=by,
        target=question,
        data={"quiz_id": str(question.quiz_id)},
    )
    question.delete()


# --- attempts ----------------------------------------------------------------------------------


def is_expired(attempt: Attempt, *, now: Any = None) -> bool:
    """Past the deadline and its grace, and never submitted."""
    if attempt.deadline is None or attempt.submitted_at is not None:
        return False
    now = now or timezone.now()
    return bool(now > attempt.deadline + timedelta(seconds=SUBMIT_GRACE_SECONDS))


def _open_attempt(*, quiz: Quiz, student: User) -> Attempt | None:
    now = timezone.now()
    for attempt in Attempt.objects.filter(quiz=quiz, student=student, submitted_at=None):
        if not is_expired(attempt, now=now):
            return attempt
    return None


@transaction.atomic
def start_attempt(*, quiz: Quiz, student: User) -> Attempt:
    """A new attempt with its own question and choice order (shuffled if the quiz says so).

    Every attempt started counts toward `max_attempts`, submitted or not. One attempt is
    open at a time (409 `attempt_in_progress` while another runs).
    """
    questions = list(
        Question.objects.filter(quiz=quiz)
        .order_by("order", "created_at")
        .values_list("id", flat=True)
    )
    if not questions:
        raise Conflict(
            "This quiz has no questions yet.", code=AssessmentError.QUIZ_HAS_NO_QUESTIONS
        )
    if _open_attempt(quiz=quiz, student=student) is not None:
        raise Conflict(
            "Submit the attempt in progress first.", code=AssessmentError.ATTEMPT_IN_PROGRESS
        )
    used = Attempt.objects.filter(quiz=quiz, student=student).count()
    if quiz.max_attempts is not None and used >= quiz.max_attempts:
        raise Conflict(
            f"You have used all {quiz.max_attempts} attempts.",
            code=AssessmentError.MAX_ATTEMPTS_REACHED,
        )
    choices: dict[str, list[str]] = {}
    for question_id, choice_id in (
        Choice.objects.filter(question__quiz=quiz)
        .order_by("question_id", "order", "created_at")
        .values_list("question_id", "id")
    ):
        choices.setdefault(str(question_id), []).append(str(choice_id))
    question_order = [str(question_id) for question_id in questions]
    if quiz.shuffle:
        _shuffler.shuffle(question_order)
        for ids in choices.values():
            _shuffler.shuffle(ids)
    now = timezone.now()
    deadline = now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
    try:
        # A savepoint: a concurrent start took this number; only this insert rolls back.
        with transaction.atomic():
            return Attempt.objects.create(
                quiz=quiz,
                student=student,
                number=used + 1,
                started_at=now,
                deadline=deadline,
                question_order=question_order,
                choice_order=choices,
            )
    except IntegrityError as exc:
        raise Conflict(
            "Another attempt was started at the same time.",
            code=AssessmentError.ATTEMPT_IN_PROGRESS,
        ) from exc


@dataclass(frozen=True)
class _Answer:
    question: Question
    choice_ids: list[str]
    text: str


def _parse_answers(
    attempt: Attempt, questions: Mapping[str, Question], answers: Iterable[Mapping[str, Any]]
) -> list[_Answer]:
    in_attempt = set(attempt.question_order)
    parsed: dict[str, _Answer] = {}
    for answer in answers:
        question_id = str(answer["question_id"])
        if question_id not in in_attempt:
            raise Invalid(
                "An answer is for a question that is not in this quiz.",
                code=AssessmentError.QUESTION_NOT_IN_QUIZ,
            )
        if question_id in parsed:
            raise Invalid("One answer per question.", code=AssessmentError.DUPLICATE_ANSWER)
        question = questions.get(question_id)
        if question is None:
            continue  # removed from the quiz after the attempt started: not scored
        chosen = [str(choice_id) for choice_id in answer.get("choice_ids") or []]
        text = str(answer.get("text") or "").strip()
        if question.type in CHOICE_TYPES:
            valid = {str(choice.pk) for choice in question.choices.all()}
            shown = set(attempt.choice_order.get(question_id, []))
            if (set(chosen) - valid) & shown:
                raise Invalid(
                    "This question was edited after the attempt started: "
                    "read the attempt again and answer it anew.",
                    code=AssessmentError.QUESTION_CHANGED,
                )
            if text or not set(chosen) <= valid or len(set(chosen)) != len(chosen):
                raise Invalid(
                    "Answer this question with choices of its own.",
                    code=AssessmentError.INVALID_ANSWER,
                )
            if question.type != QuestionType.MULTIPLE_CHOICE and len(chosen) > 1:
                raise Invalid(
                    "Choose one answer for this question.", code=AssessmentError.INVALID_ANSWER
                )
        elif chosen:
            raise Invalid("Answer this question with text.", code=AssessmentError.INVALID_ANSWER)
        parsed[question_id] = _Answer(question=question, choice_ids=chosen, text=text)
    return list(parsed.values())


def _score(answer: _Answer) -> scoring.QuestionScore:
    question = answer.question
    if question.type in CHOICE_TYPES:
        return scoring.score_choices(
            question_type=question.type,
            points=question.points,
            correct_ids={str(choice.pk) for choice in question.choices.all() if choice.is_correct},
            chosen_ids=answer.choice_ids,
        )
    return scoring.score_text(
        points=question.points, accepted_answers=question.accepted_answers, text=answer.text
    )


@transaction.atomic
def submit_attempt(
    *, attempt: Attempt, student: User, answers: Sequence[Mapping[str, Any]]
) -> Attempt:
    """Score an attempt once; a passing score completes the lesson. Unanswered questions score 0.

    409 for a second submit or past the deadline (plus `SUBMIT_GRACE_SECONDS`); 400 for an
    answer to a question outside the attempt; 403 when the enrollment no longer gives access.
    """
    attempt = locks.lock_attempt(attempt.pk)
    if attempt.student_id != student.pk:
        raise PermissionDenied()
    if attempt.submitted_at is not None:
        raise Conflict(
            "This attempt was already submitted.", code=AssessmentError.ATTEMPT_ALREADY_SUBMITTED
        )
    now = timezone.now()
    if is_expired(attempt, now=now):
        raise Conflict("The time for this attempt is over.", code=AssessmentError.ATTEMPT_EXPIRED)
    quiz = attempt.quiz
    lesson = quiz.lesson
    enrollment = active_enrollment(user=student, course_id=lesson.course_id)
    if enrollment is None:
        raise PermissionDenied(
            "Enroll in the course first.", code=AssessmentError.ENROLLMENT_REQUIRED
        )
    questions = {
        str(question.pk): question
        for question in questions_of(quiz=quiz).filter(pk__in=attempt.question_order)
    }
    parsed = _parse_answers(attempt, questions, answers)
    scored = [(answer, _score(answer)) for answer in parsed]
    score = sum((result.points_awarded for _, result in scored), Decimal("0"))
    max_score = Decimal(sum(question.points for question in questions.values()))
    attempt.score = scoring.quantize(score)
    attempt.max_score = scoring.quantize(max_score)
    attempt.percent = scoring.percent_of(score, max_score)
    attempt.passed = attempt.percent >= quiz.pass_percent
    attempt.submitted_at = now
    attempt.save(
        update_fields=["score", "max_score", "percent", "passed", "submitted_at", "updated_at"]
    )
    AttemptAnswer.objects.bulk_create(
        AttemptAnswer(
            attempt=attempt,
            question=answer.question,
            choice_ids=answer.choice_ids,
            text=answer.text[:1000],
            points_awarded=result.points_awarded,
            is_correct=result.is_correct,
        )
        for answer, result in scored
    )
    spent = int((now - attempt.started_at).total_seconds())
    cap = quiz.time_limit_minutes * 60 if quiz.time_limit_minutes else MAX_CREDITED_ATTEMPT_SECONDS
    record_activity(
        user=student,
        kind=ActivityKind.QUIZ_SUBMITTED,
        course=lesson.course,
        lesson=lesson,
        seconds=max(0, min(spent, cap)),
    )
    if attempt.passed:
        complete_lesson(enrollment=enrollment, lesson=lesson, by=CompletedBy.QUIZ)
    return attempt


# --- assignments -------------------------------------------------------------------------------

ASSIGNMENT_SETTINGS = (
    "instructions",
    "max_score",
    "pass_score",
    "allowed_file_types",
    "max_file_size_mb",
    "due_days",
)


@transaction.atomic
def update_assignment(*, assignment: Assignment, by: User, data: Mapping[str, Any]) -> Assignment:
    """Change the assignment's instructions and rules; grades already given stay."""
    changed = {name: data[name] for name in ASSIGNMENT_SETTINGS if name in data}
    if "allowed_file_types" in changed:
        kinds = list(dict.fromkeys(changed["allowed_file_types"]))
        if not set(kinds) <= set(FileKind.values):
            raise _field_error(
                "allowed_file_types",
                f"Choose from: {', '.join(FileKind.values)}.",
                AssessmentError.INVALID_FILE_TYPES,
            )
        changed["allowed_file_types"] = kinds
    for name, value in changed.items():
        setattr(assignment, name, value)
    if assignment.pass_score > assignment.max_score:
        raise _field_error(
            "pass_score",
            "The pass score cannot exceed the maximum score.",
            AssessmentError.INVALID_PASS_SCORE,
        )
    assignment.full_clean(exclude=["lesson"])
    assignment.save()
    record(
        action=AuditAction.ASSESSMENTS_ASSIGNMENT_UPDATED,
        actor=by,
        target=assignment,
        data={name: value for name, value in changed.items() if name != "instructions"},
    )
    return assignment


def due_at(assignment: Assignment, enrollment: Enrollment) -> Any:
    """When the student's work is due: `due_days` after they enrolled (None without a due date)."""
    if assignment.due_days is None:
        return None
    return enrollment.enrolled_at + timedelta(days=assignment.due_days)


@transaction.atomic
def submit_assignment(
    *,
    assignment: Assignment,
    student: User,
    enrollment: Enrollment,
    text: str = "",
    file: UploadedFile | None = None,
) -> tuple[Submission, bool]:
    """Hand in text and/or a file; returns (submission, created).

    One submission per student: until it is graded a new one replaces it in place (the
    `revision` counts up and the old file is deleted after commit); once graded, 409.
    Late work is accepted and flagged `is_late`.
    """
    text = text.strip()
    if not text and file is None:
        raise Invalid("Send a text, a file or both.", code=AssessmentError.EMPTY_SUBMISSION)
    if file is not None:
        allowed = accepted_content_types(assignment.allowed_file_types)
        if not allowed:
            raise UnsupportedMediaType(
                "This assignment takes text only.", code=AssessmentError.FILES_NOT_ACCEPTED
            )
        validate_upload(file, allowed=allowed, max_bytes=assignment.max_file_size_mb * MB)
    now = timezone.now()
    due = due_at(assignment, enrollment)
    submission = locks.lock_submission_of(assignment_id=assignment.pk, student_id=student.pk)
    created = submission is None
    if submission is None:
        submission = Submission(assignment=assignment, student=student, revision=0)
    elif submission.status == SubmissionStatus.GRADED:
        raise Conflict(
            "This submission is graded already.", code=AssessmentError.SUBMISSION_ALREADY_GRADED
        )
    old_file = submission.file.name if submission.file else ""
    submission.text = text
    submission.revision += 1
    submission.submitted_at = now
    submission.due_at = due
    submission.is_late = bool(due is not None and now > due)
    if file is not None:
        submission.file = file
        submission.file_content_type = str(file.content_type or "")
        submission.file_size = file.size
    else:
        submission.file = ""
        submission.file_content_type = ""
        submission.file_size = None
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError as exc:
        raise Conflict(
            "Another submission arrived at the same time.", code=AssessmentError.SUBMISSION_CONFLICT
        ) from exc
    if old_file and old_file != submission.file.name:
        _dropping_file_on_commit(old_file, submission.file.storage)
    lesson = assignment.lesson
    record_activity(
        user=student, kind=ActivityKind.ASSIGNMENT_SUBMITTED, course=lesson.course, lesson=lesson
    )
    if created:
        _tell_instructor_about(submission, lesson=lesson, student=student)
    return submission, created


def _tell_instructor_about(submission: Submission, *, lesson: Lesson, student: User) -> None:
    notify(
        user=lesson.course.instructor,
        category=Category.LEARNING,
        title=f"New submission for “{lesson.title}”",
        body=f"{student.full_name} handed in their work.",
        data={
            "submission_id": str(submission.pk),
            "assignment_id": str(submission.assignment_id),
            "course_id": str(lesson.course_id),
        },
        email=False,
    )


@transaction.atomic
def grade_submission(
    *, submission: Submission, by: User, score: Decimal, feedback: str = "", request: Any = None
) -> Submission:
    """Grade (or regrade) a submission; a pass completes the lesson; the student is notified."""
    submission = locks.lock_submission(submission.pk)
    assignment = submission.assignment
    if score < 0 or score > assignment.max_score:
        raise _field_error(
            "score",
            f"Give a score between 0 and {assignment.max_score}.",
            AssessmentError.INVALID_SCORE,
        )
    now = timezone.now()
    submission.score = scoring.quantize(Decimal(score))
    submission.feedback = feedback.strip()
    submission.passed = submission.score >= assignment.pass_score
    submission.status = SubmissionStatus.GRADED
    submission.graded_by = by
    submission.graded_at = now
    submission.save(
        update_fields=[
            "score",
            "feedback",
            "passed",
            "status",
            "graded_by",
            "graded_at",
            "updated_at",
        ]
    )
    lesson = assignment.lesson
    if submission.passed:
        # A revoked student keeps the grade but no progress: the enrollment gives no access.
        enrollment = active_enrollment(user=submission.student, course_id=lesson.course_id)
        if enrollment is not None:
            complete_lesson(enrollment=enrollment, lesson=lesson, by=CompletedBy.ASSIGNMENT)
    record(
        action=AuditAction.ASSESSMENTS_SUBMISSION_GRADED,
        actor=by,
        target=submission,
        request=request,
        data={"score": str(submission.score), "passed": submission.passed},
    )
    notify(
        user=submission.student,
        category=Category.LEARNING,
        title=f"Your work on “{lesson.title}” was graded",
        body=f"Score: {submission.score} / {assignment.max_score}."
        + (" Passed." if submission.passed else ""),
        data={
            "submission_id": str(submission.pk),
            "assignment_id": str(assignment.pk),
            "course_id": str(lesson.course_id),
            "score": float(submission.score),
            "passed": submission.passed,
        },
    )
    return submission
