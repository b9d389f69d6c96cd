"""Seed rows that several bench modules build alike: an instructor's published courses and
their curricula.

- `published_course(instructor, slug=, title=, price=, now=)`: an unsaved published Course
  (free when its price is zero), for a `bulk_create` or `add_missing`; `paid_courses`: a
  numbered series of them at 19.99 + n USD;
- `add_missing(courses)`: inserts the courses whose slug is not taken yet and returns them
  (a re-run inserts nothing), for modules whose rows outlive a reseed (paid orders);
- `curriculum(courses, sections=, lessons_per_section=)`: their sections of 300-second video
  lessons, the courses' lesson count and duration set to match;
- `students(count, label=, domain=, now=)`: unsaved verified students `<label>-<n>@<domain>`.

Models are imported inside the functions: Django is set up only once a run has chosen its
database (`bench.run.setup_django`). bench.scenarios.catalog builds its million lessons in SQL
instead (Python objects would take minutes there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

LESSON_SECONDS = 300


def published_course(
    instructor: Any, *, slug: str, title: str, price: Decimal, now: datetime, currency: str = "USD"
) -> Any:
    """An unsaved Course of `instructor`, published at `now`, `price` in `currency` (free,
    `is_free`, when the price is zero); its lesson count is set by `curriculum`."""
    from lms.catalog.models import Course, CourseStatus

    return Course(
        slug=slug,
        title=title,
        instructor=instructor,
        status=CourseStatus.PUBLISHED,
        published_at=now,
        price=price,
        currency=currency,
        is_free=price == 0,
    )


def paid_courses(
    instructor: Any, *, prefix: str, count: int, title: str, now: datetime
) -> list[Any]:
    """`count` unsaved published courses of `instructor`: slug `<prefix>000`, ..., title
    `<title> 0`, ..., course n at 19.99 + n USD."""
    return [
        published_course(
            instructor,
            slug=f"{prefix}{n:03d}",
            title=f"{title} {n}",
            price=Decimal("19.99") + n,
            now=now,
        )
        for n in range(count)
    ]


def add_missing(courses: Sequence[Any]) -> list[Any]:
    """Insert those of `courses` whose slug no course has yet; the inserted ones (with their
    primary keys), in the given order."""
    from lms.catalog.models import Course

    taken = set(
        Course.objects.filter(slug__in=[course.slug for course in courses]).values_list(
            "slug", flat=True
        )
    )
    return Course.objects.bulk_create(
        [course for course in courses if course.slug not in taken], batch_size=500
    )


def curriculum(
    courses: Sequence[Any], *, sections: int, lessons_per_section: int, previews: bool = False
) -> list[Any]:
    """`sections` sections ("Section 0", ...) of `lessons_per_section` video lessons ("Lesson
    0.0", ..., 300 s each) for every one of the saved `courses`, the first lesson of each
    section a free preview when `previews`; each course's `lesson_count` and
    `duration_seconds` updated to match (one UPDATE). The lessons, course by course, section
    by section, in order."""
    from lms.catalog.models import Course, Lesson, LessonType, Section

    made = Section.objects.bulk_create(
        [
            Section(course=course, title=f"Section {number}", order=number)
            for course in courses
            for number in range(sections)
        ],
        batch_size=1_000,
    )
    lessons = Lesson.objects.bulk_create(
        [
            Lesson(
                course_id=section.course_id,
                section=section,
                title=f"Lesson {section.order}.{number}",
                type=LessonType.VIDEO,
                duration_seconds=LESSON_SECONDS,
                order=number,
                is_preview=previews and number == 0,
            )
            for section in made
            for number in range(lessons_per_section)
        ],
        batch_size=1_000,
    )
    count = sections * lessons_per_section
    Course.objects.filter(pk__in=[course.pk for course in courses]).update(
        lesson_count=count, duration_seconds=count * LESSON_SECONDS
    )
    return lessons


def students(count: int, *, label: str, domain: str, now: datetime) -> list[Any]:
    """`count` unsaved students verified at `now`: `<label>-00000@<domain>`, ..., named
    `<Label> 0`, ...; for one `User.objects.bulk_create`."""
    from lms.accounts.models import Role, User

    return [
        User(
            email=f"{label}-{n:05d}@{domain}",
            first_name=label.title(),
            last_name=str(n),
            role=Role.STUDENT,
            email_verified_at=now,
        )
        for n in range(count)
    ]
