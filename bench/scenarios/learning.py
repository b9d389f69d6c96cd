"""Learning: mark-lesson-complete (a write under the enrollment's row lock) and dashboard/stats.

Budgets from the issue: p99 < 50 ms at 16 connections, with 100,000 lesson-progress rows in
the table. The query budgets are the counts measured in-process plus no margin: both paths
run a fixed number of queries whatever the data. SPEC.md gives no throughput ratio for
these two; none is checked.

Every request of a scenario is the same request: the bench student marks a lesson that is
already complete. That is the repeated-completion path (access check, progress recomputed
over the course's 100 lessons, no row lock and no write while the enrollment was touched in
the last minute; once a minute it takes the lock and saves). The first completion of a
lesson (insert, activity line, lock, save) changes state, so wrk's repeated request cannot
measure it: `python -m bench.scenarios.learning` does, with fresh learners, 16 at a time,
each completing the first lessons of a bench course in order (p50/p99, budget p99 < 50 ms).
"""

from __future__ import annotations

import argparse
import sys

from bench import flows, seeding
from bench.registry import Budget, Context, Scenario

SEED_VERSION = "2"
DOMAIN = "learning.bench.example.com"
SLUG_PREFIX = "bench-learning-"
STUDENT_EMAIL = f"bench-learner@{DOMAIN}"
COURSES = 10
SECTIONS = 10
LESSONS_PER_SECTION = 10
STUDENTS = 1_000  # each completes the 100 lessons of one course: 100,000 progress rows
ACTIVITY_DAYS = 90


def seed() -> None:
    """An instructor's 10 courses of 100 lessons, 1,000 students through them, and the bench
    student with 10 enrollments half done and 90 days of activity; re-runnable."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from lms.accounts.models import InstructorProfile, Role, StudentProfile, User
    from lms.catalog.models import Course, Lesson
    from lms.learning.models import (
        ActivityEvent,
        ActivityKind,
        Certificate,
        Enrollment,
        EnrollmentSource,
        EnrollmentStatus,
        LessonProgress,
    )

    old_courses = Course.objects.filter(slug__startswith=SLUG_PREFIX)
    Certificate.objects.filter(course__in=old_courses).delete()
    LessonProgress.objects.filter(enrollment__course__in=old_courses).delete()
    Enrollment.objects.filter(course__in=old_courses).delete()
    old_courses.delete()
    User.objects.filter(email__endswith=f"@{DOMAIN}").delete()

    now = timezone.now()
    instructor = User.objects.create(
        email=f"bench-teacher@{DOMAIN}",
        first_name="Bench",
        last_name="Teacher",
        role=Role.INSTRUCTOR,
        email_verified_at=now,
    )
    InstructorProfile.objects.create(user=instructor, headline="Bench instructor")
    courses = Course.objects.bulk_create(
        [
            seeding.published_course(
                instructor,
                slug=f"{SLUG_PREFIX}{index}",
                title=f"Bench learning course {index}",
                price=Decimal("0.00"),
                now=now,
            )
            for index in range(COURSES)
        ]
    )
    lessons = seeding.curriculum(
        courses, sections=SECTIONS, lessons_per_section=LESSONS_PER_SECTION
    )
    lessons_of: dict[object, list[Lesson]] = {}
    for lesson in lessons:
        lessons_of.setdefault(lesson.course_id, []).append(lesson)

    students = User.objects.bulk_create(
        [
            *seeding.students(STUDENTS, label="learner", domain=DOMAIN, now=now),
            User(
                email=STUDENT_EMAIL,
                first_name="Bench",
                last_name="Learner",
                role=Role.STUDENT,
                email_verified_at=now,
            ),
        ],
        batch_size=1_000,
    )
    me = students[-1]
    StudentProfile.objects.create(user=me, timezone="Europe/Berlin")
    enrollments = Enrollment.objects.bulk_create(
        [
            Enrollment(
                student=student,
                course=courses[index % COURSES],
                source=EnrollmentSource.FREE,
                status=EnrollmentStatus.COMPLETED,
                completed_at=now,
                progress_percent=100,
            )
            for index, student in enumerate(students[:-1])
        ]
        + [
            Enrollment(
                student=me,
                course=course,
                source=EnrollmentSource.FREE,
                status=EnrollmentStatus.ACTIVE,
                progress_percent=50,
                last_accessed_at=now,
            )
            for course in courses
        ],
        batch_size=1_000,
    )
    progress = [
        LessonProgress(enrollment=enrollment, lesson=lesson, completed_at=now)
        for enrollment in enrollments[:STUDENTS]
        for lesson in lessons_of[enrollment.course_id]
    ] + [
        LessonProgress(enrollment=enrollment, lesson=lesson, completed_at=now)
        for enrollment in enrollments[STUDENTS:]
        for lesson in lessons_of[enrollment.course_id][: SECTIONS * LESSONS_PER_SECTION // 2]
    ]
    LessonProgress.objects.bulk_create(progress, batch_size=5_000)
    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(
                user=me,
                kind=ActivityKind.LESSON_COMPLETED,
                course=courses[day % COURSES],
                seconds=900,
                occurred_at=now - timedelta(days=day, hours=hour),
            )
            for day in range(ACTIVITY_DAYS)
            for hour in (1, 5)
        ],
        batch_size=1_000,
    )
    Course.objects.filter(pk__in=[course.pk for course in courses]).update(
        enrollment_count=STUDENTS // COURSES + 1
    )
    from django.db import connection

    with connection.cursor() as cursor:  # fresh planner statistics after the bulk load
        cursor.execute(
            "ANALYZE learning_enrollment, learning_lessonprogress, learning_activityevent,"
            " catalog_lesson"
        )


def prepare() -> Context:
    """A fresh token for the bench student, the first enrollment and its completed lesson."""
    from lms.accounts import tokens
    from lms.accounts.models import User
    from lms.learning.models import LessonProgress

    me = User.objects.get(email=STUDENT_EMAIL)
    done = (
        LessonProgress.objects.filter(
            enrollment__student=me, enrollment__course__slug=f"{SLUG_PREFIX}0"
        )
        .order_by("lesson__section__order", "lesson__order")
        .values("enrollment_id", "lesson_id")
        .first()
    )
    assert done is not None, "seed the learning module first"
    return {
        "token": tokens.issue_token_pair(me)["access"],
        "enrollment_id": str(done["enrollment_id"]),
        "lesson_id": str(done["lesson_id"]),
    }


def _auth(context: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {context['token']}"}


SCENARIOS = [
    Scenario(
        name="learning.mark_lesson_complete",
        method="POST",
        path=lambda context: (
            f"/api/v1/enrollments/{context['enrollment_id']}/mark-lesson-complete/"
        ),
        headers=_auth,
        body=lambda context: {"lesson_id": context["lesson_id"]},
        budget=Budget(max_p99_ms=50, max_queries=12),
        note="an already completed lesson: access check and progress recount, no lock",
    ),
    Scenario(
        name="learning.dashboard_stats",
        path="/api/v1/dashboard/stats/",
        headers=_auth,
        budget=Budget(max_p99_ms=50, max_queries=4),
        note="10 enrollments, 180 activity events over 90 days, Europe/Berlin",
    ),
]


# --- first completions: python -m bench.scenarios.learning -------------------------------------


def _completing(enrollment_id: str, lesson_ids: list[str]) -> flows.Job:
    async def job(client: flows.Client) -> None:
        path = f"/api/v1/enrollments/{enrollment_id}/mark-lesson-complete/"
        for done, lesson_id in enumerate(lesson_ids, start=1):
            status, body = await client.call(
                "first completion", "POST", path, {"lesson_id": lesson_id}
            )
            assert status == 200, (status, body)
            assert body["lessons_completed"] == done, body

    return job


def _fresh_learners(count: int, lessons: int) -> list[tuple[str, flows.Job]]:
    """New students, each enrolled (through the service) in one bench course, with a job that
    completes its first `lessons` lessons."""
    from lms.catalog.models import Course, Lesson
    from lms.learning import services

    courses = list(Course.objects.filter(slug__startswith=SLUG_PREFIX).order_by("slug"))
    assert courses, "seed the learning module first"
    first_lessons = {
        course.pk: [
            str(pk)
            for pk in Lesson.objects.filter(course=course)
            .order_by("section__order", "order")
            .values_list("pk", flat=True)[:lessons]
        ]
        for course in courses
    }
    students = flows.fresh_students(count, label="first", domain=DOMAIN)
    jobs = []
    for n, student in enumerate(students):
        course = courses[n % len(courses)]
        enrollment = services.enroll(student=student, course=course, source="free")
        jobs.append(
            (
                flows.access_token(student),
                _completing(str(enrollment.pk), first_lessons[course.pk]),
            )
        )
    return jobs


def main(argv: list[str] | None = None) -> int:
    from bench import registry, run, server

    parser = argparse.ArgumentParser(description="Learning: first lesson completions")
    parser.add_argument("--learners", type=int, default=16, help="concurrent learners")
    parser.add_argument("--jobs", type=int, default=400, help="learners measured")
    parser.add_argument("--lessons", type=int, default=10, help="lessons each completes")
    parser.add_argument("--warmup", type=int, default=16, help="learners first, not measured")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=server.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default="", help="give the server Redis, as production")
    args = parser.parse_args(argv)
    env = server.server_environment(args.database_url, redis_url=args.redis_url)
    server.ensure_database(args.database_url, recreate=False)
    server.migrate(env)
    run.setup_django(env)
    registry.seed_stale_modules(registry.discover(["learning"]))
    from django.db import connections

    jobs = _fresh_learners(args.warmup + args.jobs, args.lessons)
    connections.close_all()
    result = flows.run_flows(
        env=env,
        jobs=jobs[args.warmup :],
        warmup=jobs[: args.warmup],
        users=args.learners,
        workers=args.workers,
    )
    met = flows.report(
        result,
        steps=["first completion"],
        budget_ms=50,
        title=f"learning: {len(result.jobs_ms)} learners (after {args.warmup} not measured) "
        f"completing {args.lessons} lessons each, {args.learners} at a time, in "
        f"{result.seconds:.1f} s, gunicorn {args.workers} sync workers, PostgreSQL, "
        "100,000 lesson-progress rows",
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
