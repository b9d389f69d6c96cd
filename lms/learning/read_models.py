"""Learning's typed read models: what its selectors and services hand to the API, rendered by
one serializer each (lms/learning/api/serializers.py). Values, not response text: a stored
file name (the serializer makes the URL), a display name from lms.accounts.names.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from lms.accounts.names import display_name_of_row

from .models import Enrollment


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class CourseRef:
    id: uuid.UUID
    slug: str
    title: str
    thumbnail: str | None  # the stored file's name
    instructor: PersonRef


def course_ref(course: Any) -> CourseRef:
    """A course (its instructor joined) as a `CourseRef`: no query."""
    instructor = course.instructor
    return CourseRef(
        id=course.pk,
        slug=course.slug,
        title=course.title,
        thumbnail=course.thumbnail.name or None,
        instructor=PersonRef(id=instructor.pk, name=instructor.full_name),
    )


@dataclass(frozen=True, slots=True)
class LessonRef:
    id: uuid.UUID
    title: str
    type: str


@dataclass(frozen=True, slots=True)
class EnrollmentSummary:
    """An enrollment as its student sees it, with live progress over the current lessons."""

    id: uuid.UUID
    course: CourseRef  # the course's id is `course.id` (API.md: `id, course, ...`)
    status: str
    source: str
    progress_percent: float
    lessons_completed: int | None
    lessons_total: int | None
    enrolled_at: datetime
    completed_at: datetime | None
    last_accessed_at: datetime | None
    last_lesson: LessonRef | None
    certificate_id: uuid.UUID | None
    # "issued" (certificate_id is set), "issuing" (completed; the certificate task has not
    # finished yet: read the enrollment again), or None (not completed, or access revoked)
    certificate_status: str | None

    @classmethod
    def of(cls, enrollment: Enrollment) -> EnrollmentSummary:
        """From an enrollment of `selectors.enrollments_of` (course, instructor, last lesson,
        certificate joined; live counts annotated): no query."""
        from .selectors import live_percent

        course = enrollment.course
        last = enrollment.last_lesson
        certificate = getattr(enrollment, "certificate", None)
        return cls(
            id=enrollment.pk,
            course=course_ref(course),
            status=enrollment.status,
            source=enrollment.source,
            progress_percent=live_percent(enrollment),
            lessons_completed=getattr(enrollment, "lessons_done", None),
            lessons_total=getattr(enrollment, "lessons_total", None),
            enrolled_at=enrollment.enrolled_at,
            completed_at=enrollment.completed_at,
            last_accessed_at=enrollment.last_accessed_at,
            last_lesson=LessonRef(id=last.pk, title=last.title, type=last.type) if last else None,
            certificate_id=certificate.pk if certificate is not None else None,
            certificate_status=certificate_status(
                certificate_id=certificate.pk if certificate is not None else None,
                completed_at=enrollment.completed_at,
                status=enrollment.status,
            ),
        )

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> EnrollmentSummary:
        """From a `selectors.completion_snapshot` row (the completion path's one query)."""
        from .selectors import percent

        done = row["lessons_done"] or 0
        total = row["lessons_total"] or 0
        last = (
            LessonRef(
                id=row["last_lesson_id"],
                title=row["last_lesson__title"],
                type=row["last_lesson__type"],
            )
            if row["last_lesson_id"] is not None
            else None
        )
        return cls(
            id=row["id"],
            course=CourseRef(
                id=row["course_id"],
                slug=row["course__slug"],
                title=row["course__title"],
                thumbnail=row["course__thumbnail"] or None,
                instructor=PersonRef(
                    id=row["course__instructor_id"],
                    name=display_name_of_row(row, "course__instructor__"),
                ),
            ),
            status=row["status"],
            source=row["source"],
            progress_percent=percent(done, total),
            lessons_completed=done,
            lessons_total=total,
            enrolled_at=row["enrolled_at"],
            completed_at=row["completed_at"],
            last_accessed_at=row["last_accessed_at"],
            last_lesson=last,
            certificate_id=row["certificate__id"],
            certificate_status=certificate_status(
                certificate_id=row["certificate__id"],
                completed_at=row["completed_at"],
                status=row["status"],
            ),
        )


@dataclass(frozen=True, slots=True)
class NextLesson:
    """The first lesson not completed yet of an enrollment, and where it was left off."""

    id: uuid.UUID
    title: str
    type: str
    duration_seconds: int
    section_title: str
    position_seconds: int  # 0 when never started


@dataclass(frozen=True, slots=True)
class ContinueItem:
    """An active enrollment on `/dashboard/continue-learning/` (ContinueLearningSerializer)."""

    enrollment_id: uuid.UUID
    course: CourseRef
    progress_percent: float
    last_accessed_at: datetime | None
    next_lesson: NextLesson | None

    @classmethod
    def of(
        cls,
        enrollment: Enrollment,
        lessons: Mapping[Any, Mapping[str, Any]],
        positions: Mapping[tuple[Any, Any], int],
    ) -> ContinueItem:
        """From an enrollment of `selectors.continue_learning` with the page's
        `selectors.next_lessons` rows and `selectors.resume_positions`: no query."""
        from .selectors import live_percent

        row = lessons.get(getattr(enrollment, "next_lesson_id", None))
        next_lesson = None
        if row is not None:
            next_lesson = NextLesson(
                id=row["id"],
                title=row["title"],
                type=row["type"],
                duration_seconds=row["duration_seconds"],
                section_title=row["section__title"],
                position_seconds=positions.get((enrollment.pk, row["id"]), 0),
            )
        return cls(
            enrollment_id=enrollment.pk,
            course=course_ref(enrollment.course),
            progress_percent=live_percent(enrollment),
            last_accessed_at=enrollment.last_accessed_at,
            next_lesson=next_lesson,
        )


CERTIFICATE_ISSUED = "issued"
CERTIFICATE_ISSUING = "issuing"


@dataclass(frozen=True, slots=True)
class LessonPosition:
    """A lesson's resume point after `PUT .../progress/`, and where its enrollment stands: a
    completion sent with it may have completed the course, whose certificate the client then
    shows (`certificate_status`: "issued" with `certificate_id`, or "issuing": poll the
    enrollment)."""

    lesson_id: uuid.UUID
    position_seconds: int
    completed: bool
    completed_at: datetime | None
    progress_percent: float
    enrollment_status: str
    certificate_id: uuid.UUID | None
    certificate_status: str | None


def certificate_status(
    *, certificate_id: uuid.UUID | None, completed_at: datetime | None, status: str
) -> str | None:
    """Where an enrollment's certificate stands: `issued` once it exists; `issuing` from the
    completion until the certificate task (run after commit) has made it; None before the
    completion, or when access was revoked without a certificate."""
    if certificate_id is not None:
        return CERTIFICATE_ISSUED
    if completed_at is not None and status != "revoked":
        return CERTIFICATE_ISSUING
    return None


@dataclass(frozen=True, slots=True)
class RecommendedCourse:
    """A course on `/dashboard/recommendations/` (RecommendedCourseSerializer)."""

    id: uuid.UUID
    slug: str
    title: str
    subtitle: str
    thumbnail: str | None  # the stored file's name
    level: str
    language: str
    price: Decimal
    currency: str
    is_free: bool
    rating: float
    review_count: int
    enrollment_count: int
    lesson_count: int
    instructor: PersonRef
    score: int  # 0 on a cold start with no onboarding interests (popularity only)

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> RecommendedCourse:
        """From a `selectors.recommendations` row (`RECOMMENDATION_FIELDS`, maybe `score`)."""
        return cls(
            id=row["id"],
            slug=row["slug"],
            title=row["title"],
            subtitle=row["subtitle"],
            thumbnail=row["thumbnail"] or None,
            level=row["level"],
            language=row["language"],
            price=row["price"],
            currency=row["currency"],
            is_free=row["is_free"],
            rating=row["rating"],
            review_count=row["review_count"],
            enrollment_count=row["enrollment_count"],
            lesson_count=row["lesson_count"],
            instructor=PersonRef(
                id=row["instructor_id"], name=display_name_of_row(row, "instructor__")
            ),
            score=row.get("score", 0),
        )
