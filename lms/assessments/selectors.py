"""Reads of assessments, each scoped to what the caller may see (404 for anything else)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from lms.catalog.models import Course, LessonType
from lms.catalog.selectors import course_ref_filter
from lms.core.errors import NotFound, PermissionDenied

from .errors import AssessmentError
from .models import Assignment, Attempt, AttemptAnswer, Choice, Question, Quiz, Submission
from .permissions import CourseAccess, Role, course_access
from .read_models import ReviewItem


@dataclass(frozen=True)
class QuizAccess:
    quiz: Quiz
    access: CourseAccess


@dataclass(frozen=True)
class AssignmentAccess:
    assignment: Assignment
    access: CourseAccess


@dataclass(frozen=True)
class SubmissionAccess:
    submission: Submission
    access: CourseAccess


def quiz_for_user(*, user: Any, quiz_id: Any) -> QuizAccess:
    """A quiz of a quiz lesson with the user's role in its course (404 / 403 otherwise)."""
    quiz = (
        Quiz.objects.filter(pk=quiz_id, lesson__type=LessonType.QUIZ)
        .select_related("lesson__course")
        .first()
    )
    if quiz is None:
        raise NotFound()
    return QuizAccess(quiz=quiz, access=course_access(user=user, course=quiz.lesson.course))


def questions_of(*, quiz: Quiz) -> QuerySet[Question]:
    """The quiz's questions in their order, with their choices (two queries)."""
    return (
        Question.objects.filter(quiz=quiz)
        .prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("order", "created_at"))
        )
        .order_by("order", "created_at")
    )


def attempts_of(*, quiz: Quiz, student: Any) -> QuerySet[Attempt]:
    return Attempt.objects.filter(quiz=quiz, student=student).order_by("-number")


def attempt_for_student(*, user: Any, attempt_id: Any, lock: bool = False) -> Attempt:
    """The user's own attempt; anyone else's is 404."""
    queryset = Attempt.objects.filter(pk=attempt_id, student_id=user.pk)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    attempt = queryset.select_related("quiz__lesson__course").first()
    if attempt is None:
        raise NotFound()
    return attempt


def assignment_for_user(*, user: Any, assignment_id: Any) -> AssignmentAccess:
    """An assignment of an assignment lesson with the user's role in its course."""
    assignment = (
        Assignment.objects.filter(pk=assignment_id, lesson__type=LessonType.ASSIGNMENT)
        .select_related("lesson__course")
        .first()
    )
    if assignment is None:
        raise NotFound()
    return AssignmentAccess(
        assignment=assignment, access=course_access(user=user, course=assignment.lesson.course)
    )


def submissions_visible(*, user: Any, assignment_access: AssignmentAccess) -> QuerySet[Submission]:
    """Every submission for the course's instructors and staff; a student's own otherwise."""
    queryset = (
        Submission.objects.filter(assignment=assignment_access.assignment)
        .select_related("student", "graded_by")
        .order_by("-submitted_at", "-id")
    )
    if assignment_access.access.role is Role.STUDENT:
        queryset = queryset.filter(student_id=user.pk)
    return queryset


def submission_for_user(*, user: Any, submission_id: Any) -> SubmissionAccess:
    """The student's own submission, or any of a course the user teaches or moderates; else 404."""
    submission = (
        Submission.objects.filter(pk=submission_id)
        .select_related("assignment__lesson__course", "student", "graded_by")
        .first()
    )
    if submission is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    if submission.student_id == user.pk:
        return SubmissionAccess(submission=submission, access=CourseAccess(role=Role.STUDENT))
    try:
        access = course_access(user=user, course=submission.assignment.lesson.course)
    except (NotFound, PermissionDenied) as exc:  # another course's submission: not there
        raise NotFound() from exc
    if access.role is Role.STUDENT:
        raise NotFound()
    return SubmissionAccess(submission=submission, access=access)


def course_for_grading(*, user: Any, ref: Any) -> Course:
    """A course (by id or slug) whose students' quiz attempts and submissions the user may
    read: its instructors, co-instructors and admins (editors) and managers (staff). 403
    `not_course_instructor` for its own students; 404 for everyone else, other instructors
    included (they must not learn what another course holds)."""
    course = Course.objects.filter(course_ref_filter(ref)).first()
    if course is None:
        raise NotFound()
    try:
        access = course_access(user=user, course=course)
    except PermissionDenied as exc:  # a published course they are not part of
        raise NotFound() from exc
    if access.role is Role.STUDENT:
        raise PermissionDenied(
            "Only the course's instructors see its students' work.",
            code=AssessmentError.NOT_COURSE_INSTRUCTOR,
        )
    return course


def attempts_in_course(
    *, course: Course, student: Any = None, quiz: Any = None
) -> QuerySet[Attempt]:
    """Every attempt at the course's quizzes, newest first, with its student and its quiz's
    lesson (one query a page); optionally one student's (`student`: an id) or one quiz's."""
    queryset = Attempt.objects.filter(
        quiz__lesson__course=course, quiz__lesson__type=LessonType.QUIZ
    )
    if student is not None:
        queryset = queryset.filter(student_id=student)
    if quiz is not None:
        queryset = queryset.filter(quiz_id=quiz)
    return queryset.select_related("student", "quiz__lesson").order_by("-started_at", "-id")


def submissions_in_course(
    *, course: Course, student: Any = None, assignment: Any = None, status: str | None = None
) -> QuerySet[Submission]:
    """Every submission to the course's assignments, latest first, with its student and
    grader (one query a page); optionally one student's, one assignment's, one status."""
    queryset = Submission.objects.filter(
        assignment__lesson__course=course, assignment__lesson__type=LessonType.ASSIGNMENT
    )
    if student is not None:
        queryset = queryset.filter(student_id=student)
    if assignment is not None:
        queryset = queryset.filter(assignment_id=assignment)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("student", "graded_by", "assignment__lesson").order_by(
        "-submitted_at", "-id"
    )


def question_for_editing(*, user: Any, question_id: Any) -> Question:
    """A question of a quiz the user may edit; 403 for the course's students and staff, and 404
    for anyone outside the course (another instructor included), as for attempts."""
    question = (
        Question.objects.filter(pk=question_id, quiz__lesson__type=LessonType.QUIZ)
        .select_related("quiz__lesson__course")
        .first()
    )
    if question is None:
        raise NotFound()
    try:
        access = course_access(user=user, course=question.quiz.lesson.course)
    except PermissionDenied as exc:  # a published course they are not part of: not there
        raise NotFound() from exc
    access.require_editor()
    return question


@dataclass
class AttemptQuestion:
    question: Question
    choices: list[Choice]  # in the attempt's order


@dataclass(frozen=True, slots=True)
class AttemptView:
    """An attempt as its student sees it: questions in its own order, the review if allowed
    (`AttemptSerializer`)."""

    attempt: Attempt
    questions: list[AttemptQuestion]
    status: str  # "in_progress", "submitted" or "expired"
    review: tuple[ReviewItem, ...] | None  # None: not shown (yet) by the quiz's settings


def attempt_status(attempt: Attempt) -> str:
    from .services import is_expired

    if attempt.submitted_at is not None:
        return "submitted"
    return "expired" if is_expired(attempt) else "in_progress"


def attempt_view(*, attempt: Attempt) -> AttemptView:
    """Questions and choices in the order fixed at the start (questions removed since are left
    out); after submitting, the review when the quiz's settings show it. Three queries at most."""
    from .permissions import review_visible

    quiz = attempt.quiz
    by_id = {
        str(question.pk): question
        for question in questions_of(quiz=quiz).filter(pk__in=attempt.question_order)
    }
    ordered: list[AttemptQuestion] = []
    for question_id in attempt.question_order:
        question = by_id.get(question_id)
        if question is None:
            continue
        choices = {str(choice.pk): choice for choice in question.choices.all()}
        order = [
            choice_id
            for choice_id in attempt.choice_order.get(question_id, [])
            if choice_id in choices
        ]
        # Choices added after the start go last, so every choice shown can be answered.
        order += [choice_id for choice_id in choices if choice_id not in order]
        ordered.append(AttemptQuestion(question=question, choices=[choices[c] for c in order]))
    review = None
    if review_visible(
        show_correct_answers=quiz.show_correct_answers,
        submitted=attempt.submitted_at is not None,
        passed=attempt.passed,
    ):
        review = attempt_review(attempt=attempt, questions=ordered)
    return AttemptView(
        attempt=attempt, questions=ordered, status=attempt_status(attempt), review=review
    )


def attempt_review(*, attempt: Attempt, questions: list[AttemptQuestion]) -> tuple[ReviewItem, ...]:
    """Per question: what was answered, what it earned, and the right answer. One query."""
    answers = {
        str(answer.question_id): answer for answer in AttemptAnswer.objects.filter(attempt=attempt)
    }
    review = []
    for item in questions:
        question = item.question
        answer = answers.get(str(question.pk))
        review.append(
            ReviewItem(
                question_id=question.pk,
                points=question.points,
                points_awarded=answer.points_awarded if answer else Decimal(0),
                is_correct=bool(answer and answer.is_correct),
                choice_ids=tuple(answer.choice_ids) if answer else (),
                text=answer.text if answer else "",
                correct_choice_ids=tuple(
                    str(choice.pk) for choice in item.choices if choice.is_correct
                ),
                accepted_answers=tuple(question.accepted_answers),
            )
        )
    return tuple(review)
