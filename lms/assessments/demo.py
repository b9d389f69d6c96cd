"""Demo assessments for `manage.py seed_demo`: a quiz with attempts, an assignment with work.

Runs after the catalog, learning and commerce seeders. In the demo course `COURSE_SLUG`
(Grace's API course) a last section gets a quiz lesson (four questions, one of each type)
and an assignment lesson (PDF hand-ins). The demo students are enrolled if they are not
yet; Sam passes the quiz and hands in text and a PDF that Grace grades; Lee fails the quiz
once and hands in text that waits for a grade (the instructor's "to grade" list).
A second quiz, in the compiler course, has Sam's failed first attempt and passed second.
Everything goes through the services (attempts are scored, passing completes the lesson,
the grade notifies the student). Idempotent: nothing happens once the quiz lesson exists.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from lms.accounts.models import User
from lms.catalog import services as catalog_services
from lms.catalog.demo import demo_pdf
from lms.catalog.models import Course, Lesson, LessonType
from lms.learning import services as learning_services
from lms.learning.models import EnrollmentSource

from . import services
from .models import Assignment, FileKind, Question, QuestionType, Quiz

COURSE_SLUG = "django-rest-apis-that-last"
PASSING = "student@demo.learnflow.local"
FAILING = "lee@demo.learnflow.local"

# (type, text, points, [(choice, correct)], accepted answers)
QUESTIONS: list[tuple[str, str, int, list[tuple[str, bool]], list[str]]] = [
    (
        QuestionType.SINGLE_CHOICE, "Which status answers a POST that created a resource?", 1,
        [("200 OK", False), ("201 Created", True), ("204 No Content", False)], [],
    ),
    (
        QuestionType.MULTIPLE_CHOICE, "Which methods are idempotent?", 2,
        [("GET", True), ("PUT", True), ("POST", False), ("DELETE", True)], [],
    ),
    (
        QuestionType.TRUE_FALSE, "A 401 means the caller is known but not allowed.", 1,
        [("True", False), ("False", True)], [],
    ),
    (
        QuestionType.SHORT_TEXT, "Which header carries a JWT access token?", 1,
        [], ["Authorization", "the Authorization header"],
    ),
]  # fmt: skip


# A second quiz, in Grace's compiler course: Sam fails a first attempt and passes a second.
COMPILER_COURSE = "build-your-own-compiler"
COMPILER_QUESTIONS: list[tuple[str, str, int, list[tuple[str, bool]], list[str]]] = [
    (
        QuestionType.SINGLE_CHOICE, "What does a lexer produce?", 1,
        [("Tokens", True), ("A syntax tree", False), ("Bytecode", False)], [],
    ),
    (
        QuestionType.TRUE_FALSE, "Recursive descent handles left-recursive rules as written.", 1,
        [("True", False), ("False", True)], [],
    ),
    (
        QuestionType.SHORT_TEXT, "Which tree does a parser build (three letters)?", 1,
        [], ["AST", "abstract syntax tree"],
    ),
]  # fmt: skip


def _answers(quiz: Quiz, *, correct: bool) -> list[dict[str, Any]]:
    """Every question answered: right when `correct`, else wrong on the choice questions."""
    answers: list[dict[str, Any]] = []
    for question in Question.objects.filter(quiz=quiz).prefetch_related("choices"):
        if question.type == QuestionType.SHORT_TEXT:
            text = question.accepted_answers[0] if correct else "I do not know"
            answers.append({"question_id": question.pk, "text": text})
            continue
        chosen = [c.pk for c in question.choices.all() if c.is_correct == correct]
        if question.type != QuestionType.MULTIPLE_CHOICE:
            chosen = chosen[:1]
        answers.append({"question_id": question.pk, "choice_ids": chosen})
    return answers


def _quiz(
    *,
    course: Course,
    section: Any,
    title: str,
    questions: list[tuple[str, str, int, list[tuple[str, bool]], list[str]]],
    settings: dict[str, Any],
) -> Quiz:
    """A quiz lesson at the end of `section`, its settings and its questions."""
    instructor = course.instructor
    lesson = catalog_services.create_lesson(
        section=section,
        by=instructor,
        data={
            "title": title,
            "type": LessonType.QUIZ,
            "content": f"{len(questions)} short questions on this course so far.",
            "duration_seconds": 600,
        },
    )
    quiz = services.update_quiz_settings(
        quiz=Quiz.objects.get(lesson=lesson), by=instructor, data=settings
    )
    for kind, text, points, choices, accepted in questions:
        services.add_question(
            quiz=quiz,
            by=instructor,
            type=kind,
            text=text,
            points=points,
            choices=[{"text": choice, "is_correct": right} for choice, right in choices],
            accepted_answers=accepted,
        )
    return quiz


def _build(course: Course) -> tuple[Quiz, Assignment]:
    instructor = course.instructor
    section = catalog_services.create_section(
        course=course, by=instructor, title="Check your understanding"
    )
    quiz = _quiz(
        course=course,
        section=section,
        title="Quiz: HTTP API basics",
        questions=QUESTIONS,
        settings={"pass_percent": 60, "max_attempts": 3, "time_limit_minutes": 15},
    )
    assignment_lesson = catalog_services.create_lesson(
        section=section,
        by=instructor,
        data={
            "title": "Assignment: design an endpoint",
            "type": LessonType.ASSIGNMENT,
            "content": "Design the enrollments endpoint of a course API.",
            "duration_seconds": 1800,
        },
    )
    assignment = services.update_assignment(
        assignment=Assignment.objects.get(lesson=assignment_lesson),
        by=instructor,
        data={
            "instructions": "Describe the URL, methods, status codes and error codes of "
            "POST /courses/{id}/enroll/. Hand in a PDF (or a text) of a page or two.",
            "max_score": 100,
            "pass_score": 60,
            "allowed_file_types": [FileKind.PDF],
            "due_days": 14,
        },
    )
    return quiz, assignment


def seed(stdout: Any) -> None:
    course = Course.objects.filter(slug=COURSE_SLUG).select_related("instructor").first()
    if course is None:
        stdout.write("assessments demo: skipped (no demo API course)")
        return
    if Lesson.objects.filter(course=course, type=LessonType.QUIZ).exists():
        return
    quiz, assignment = _build(course)
    students = {user.email: user for user in User.objects.filter(email__in=[PASSING, FAILING])}
    for email, student in students.items():
        passing = email == PASSING
        enrollment = learning_services.enroll(
            student=student, course=course, source=EnrollmentSource.STAFF_GRANT, if_exists="return"
        )
        attempt = services.start_attempt(quiz=quiz, student=student)
        attempt = services.submit_attempt(
            attempt=attempt, student=student, answers=_answers(quiz, correct=passing)
        )
        file = None
        if passing:
            pdf = demo_pdf(
                "POST /courses/{id}/enroll/",
                [
                    "201 Created with the enrollment; 409 already_enrolled for a second call.",
                    "402 payment_required for a paid course; 401 without a token.",
                ],
            )
            file = SimpleUploadedFile("enroll-endpoint.pdf", pdf, "application/pdf")
        submission, _ = services.submit_assignment(
            assignment=assignment,
            student=student,
            enrollment=enrollment,
            text="My design is in the attached PDF." if passing else "URL: /courses/{id}/enroll/",
            file=file,
        )
        if passing:
            services.grade_submission(
                submission=submission,
                by=course.instructor,
                score=Decimal(88),
                feedback="Clear and complete. Mention 404 for a course that is not published.",
            )
        stdout.write(
            f"assessments demo: {email} scored {attempt.percent}% on the quiz"
            + (" and was graded 88/100" if passing else "; their assignment waits for a grade")
        )
    _second_quiz(stdout)


def _second_quiz(stdout: Any) -> None:
    """Sam's two attempts at the compiler course's quiz: failed, then passed."""
    course = Course.objects.filter(slug=COMPILER_COURSE).select_related("instructor").first()
    student = User.objects.filter(email=PASSING).first()
    if course is None or student is None:
        return
    section = catalog_services.create_section(
        course=course, by=course.instructor, title="Check your understanding"
    )
    quiz = _quiz(
        course=course,
        section=section,
        title="Quiz: lexers and parsers",
        questions=COMPILER_QUESTIONS,
        settings={"pass_percent": 70, "max_attempts": 3, "time_limit_minutes": None},
    )
    learning_services.enroll(
        student=student, course=course, source=EnrollmentSource.STAFF_GRANT, if_exists="return"
    )
    for correct in (False, True):
        attempt = services.start_attempt(quiz=quiz, student=student)
        services.submit_attempt(
            attempt=attempt, student=student, answers=_answers(quiz, correct=correct)
        )
    stdout.write(f"assessments demo: {PASSING} failed, then passed “{course.title}”'s quiz")
