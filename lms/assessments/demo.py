"""Demo assessments for `manage.py seed_demo`: a quiz with attempts, an assignment with work.

Runs after the catalog, learning and commerce seeders. In the demo course `COURSE_SLUG`
(Grace's API course) a last section gets a quiz lesson (four questions, one of each type)
and an assignment lesson (PDF hand-ins). The demo students are enrolled if they are not
yet; Sam passes the quiz and hands in text and a PDF that Grace grades; Lee fails the quiz
once and hands in text that waits for a grade (the instructor's "to grade" list).
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


def _answers(quiz: Quiz, *, correct: bool) -> list[dict[str, Any]]:
    """Every question answered: right when `correct`, else wrong on the choice questions."""
    answers: list[dict[str, Any]] = []
    for question in Question.objects.filter(quiz=quiz).prefetch_related("choices"):
        if question.type == QuestionType.SHORT_TEXT:
            answers.append({"question_id": question.pk, "text": "Authorization"})
            continue
        chosen = [c.pk for c in question.choices.all() if c.is_correct == correct]
        if question.type != QuestionType.MULTIPLE_CHOICE:
            chosen = chosen[:1]
        answers.append({"question_id": question.pk, "choice_ids": chosen})
    return answers


def _build(course: Course) -> tuple[Quiz, Assignment]:
    instructor = course.instructor
    section = catalog_services.create_section(
        course=course, by=instructor, title="Check your understanding"
    )
    quiz_lesson = catalog_services.create_lesson(
        section=section,
        by=instructor,
        data={
            "title": "Quiz: HTTP API basics",
            "type": LessonType.QUIZ,
            "content": "Four questions on status codes, methods and authentication.",
            "duration_seconds": 600,
        },
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
    quiz = services.update_quiz_settings(
        quiz=Quiz.objects.get(lesson=quiz_lesson),
        by=instructor,
        data={"pass_percent": 60, "max_attempts": 3, "time_limit_minutes": 15},
    )
    for kind, text, points, choices, accepted in QUESTIONS:
        services.add_question(
            quiz=quiz,
            by=instructor,
            type=kind,
            text=text,
            points=points,
            choices=[{"text": choice, "is_correct": right} for choice, right in choices],
            accepted_answers=accepted,
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
