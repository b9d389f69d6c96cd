"""Demo learning data for `manage.py seed_demo`: courses in progress and one completed course.

Runs after the catalog's seeder (when there is one) and uses the demo instructors' published
courses; a small free course is created when none with lessons exists yet, so the completed
course and its certificate are always there. Idempotent: enrolling again returns the
existing enrollment and completing a lesson twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from lms.accounts.models import User
from lms.catalog.demo import publish_seeded_course
from lms.catalog.models import Course, CourseStatus, Lesson, LessonType, Section

from . import services
from .models import Enrollment, EnrollmentSource

DEMO_DOMAIN = "@demo.learnflow.local"
COMPLETED_SLUG = "demo-study-skills"
STUDENTS = {"student@demo.learnflow.local": 0.4, "lee@demo.learnflow.local": 0.25}


def _completed_course() -> Course | None:
    """A short free course (by the first demo instructor) for the completed enrollment."""
    instructor = User.objects.filter(email="grace@demo.learnflow.local").first()
    if instructor is None:
        instructor = User.objects.filter(role="instructor").order_by("created_at").first()
    if instructor is None:
        return None
    course, created = Course.objects.get_or_create(
        slug=COMPLETED_SLUG,
        defaults={
            "title": "Study skills for online learners",
            "subtitle": "Plan, practise and remember what you learn",
            "description": "Three short lessons on learning well online.",
            "instructor": instructor,
            "status": CourseStatus.DRAFT,  # published below, through the workflow
            "is_free": True,
            "price": 0,
        },
    )
    if created:
        section = Section.objects.create(course=course, title="Learning how to learn", order=0)
        for order, (title, kind) in enumerate(
            [
                ("Spaced repetition", LessonType.VIDEO),
                ("Active recall", LessonType.TEXT),
                ("Planning a study week", LessonType.TEXT),
            ]
        ):
            Lesson.objects.create(
                course=course,
                section=section,
                title=title,
                type=kind,
                order=order,
                content=f"{title}: the idea, an example and an exercise.",
                duration_seconds=420,
            )
        Course.objects.filter(pk=course.pk).update(lesson_count=3, duration_seconds=3 * 420)
        course = publish_seeded_course(course)
    return course


def _complete(enrollment: Enrollment, lessons: list[Lesson]) -> Enrollment:
    for lesson in lessons:
        enrollment = services.complete_lesson(enrollment=enrollment, lesson=lesson)
    return enrollment


def _curriculum(course: Course) -> list[Lesson]:
    return list(
        Lesson.objects.filter(course=course).order_by(
            "section__order", "section__created_at", "order", "created_at"
        )
    )


def seed(stdout: Any) -> None:
    """Enroll the demo students, move them through their courses, finish one course."""
    students = {user.email: user for user in User.objects.filter(email__in=list(STUDENTS))}
    if not students:
        stdout.write("learning: no demo students; skipped")
        return
    finished = _completed_course()
    if finished is None:
        stdout.write("learning: no demo instructor; skipped")
        return
    others = list(
        Course.objects.filter(
            status=CourseStatus.PUBLISHED, instructor__email__endswith=DEMO_DOMAIN
        )
        .exclude(pk=finished.pk)
        .exclude(slug__startswith="demo-")  # the other seeders' own courses
        .annotate(lessons_total=Count("lessons"))
        .filter(lessons_total__gt=0)
        .order_by("title")[:4]
    )
    sam = students.get("student@demo.learnflow.local")
    if sam is not None:
        enrollment = services.enroll(
            student=sam, course=finished, source=EnrollmentSource.FREE, if_exists="return"
        )
        enrollment = _complete(enrollment, _curriculum(finished))
        certificate = services.issue_certificate(enrollment_id=enrollment.pk)
        stdout.write(f"learning: {sam.email} completed {finished.title} ({certificate.code})")
    lee = students.get("lee@demo.learnflow.local")
    if lee is not None:
        # In progress whatever the catalog seeded: one lesson of the short course.
        enrollment = services.enroll(
            student=lee, course=finished, source=EnrollmentSource.FREE, if_exists="return"
        )
        _complete(enrollment, _curriculum(finished)[:1])
    for index, (email, share) in enumerate(STUDENTS.items()):
        student = students.get(email)
        if student is None:
            continue
        for course in others[index : index + 2]:
            source = EnrollmentSource.FREE if course.is_free else EnrollmentSource.STAFF_GRANT
            enrollment = services.enroll(
                student=student, course=course, source=source, if_exists="return"
            )
            lessons = _curriculum(course)
            _complete(enrollment, lessons[: max(1, int(len(lessons) * share))])
            stdout.write(f"learning: {email} is {share:.0%} through {course.title}")
