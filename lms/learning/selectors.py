"""Every non-trivial read of learning, scoped to what the caller may see.

Progress is always read over the course's *current* lessons: a lesson added later lowers
it, a removed lesson (its progress rows go with it) is not counted.
"""

from __future__ import annotations

import functools
import uuid
import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, router
from django.db.models import (
    Case,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from lms.accounts import onboarding
from lms.accounts.models import User
from lms.accounts.names import display_name_fields
from lms.catalog.models import Course, CourseStatus, Lesson
from lms.catalog.permissions import is_course_instructor
from lms.catalog.selectors import course_ref_filter
from lms.core.errors import NotFound, PermissionDenied
from lms.core.permissions import is_staff_member

from .models import (
    ACCESS_STATUSES,
    ActivityEvent,
    Certificate,
    Enrollment,
    EnrollmentSource,
    LessonProgress,
    completed_by,
)
from .read_models import LessonPosition, RecommendedCourse, certificate_status

# --- progress ----------------------------------------------------------------------------------


def percent(done: int, total: int) -> float:
    """Completed lessons over current lessons, 0-100 with one decimal."""
    if total <= 0:
        return 0.0
    return round(min(done, total) * 100 / total, 1)


def count_of(queryset: QuerySet[Any]) -> Coalesce:
    """`(SELECT COUNT(*) ...)` of a correlated queryset, as an integer expression."""
    counted = queryset.order_by().annotate(
        n=Func(F("pk"), function="COUNT", output_field=IntegerField())
    )
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), Value(0))


def _lesson_total() -> Coalesce:
    return count_of(Lesson.objects.filter(course_id=OuterRef("course_id")))


def _lessons_done() -> Coalesce:
    return count_of(
        LessonProgress.objects.filter(
            enrollment_id=OuterRef("pk"),
            completed_at__isnull=False,
            lesson__course_id=OuterRef("course_id"),
        )
    )


def with_live_progress(queryset: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Annotate `lessons_total` and `lessons_done` (read `live_percent(enrollment)`)."""
    return queryset.annotate(lessons_total=_lesson_total(), lessons_done=_lessons_done())


def live_percent(enrollment: Enrollment) -> float:
    total = getattr(enrollment, "lessons_total", None)
    done = getattr(enrollment, "lessons_done", None)
    if total is None or done is None:
        return enrollment.progress_percent
    return percent(done, total)


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> float:
        return percent(self.done, self.total)


def _primary(model: type[Model]) -> str:
    """The database the writes of `model` go to: reads that follow this transaction's writes
    (or that run under its row locks) are made there, never on a replica."""
    return router.db_for_write(model) or DEFAULT_DB_ALIAS


def lesson_counts(*, enrollment: Enrollment) -> Progress:
    """Completed and current lessons of the enrollment's course, in one query (two counting
    subqueries over the course's lessons and *this enrollment's* progress rows: other
    students' rows are never scanned). Read from the primary: it follows the progress writes
    of the same transaction."""
    rows = list(_lesson_counts_base().using(_primary(Enrollment)).filter(pk=enrollment.pk))
    total, done = rows[0] if rows else (0, 0)
    return Progress(done=done or 0, total=total or 0)


@functools.cache
def _lesson_counts_base() -> QuerySet[Any]:
    """Every enrollment's two live counts, built once per process (as the completion
    snapshot's base); `lesson_counts` filters a clone by enrollment."""
    return (
        with_live_progress(Enrollment.objects.all())
        .order_by()
        .values_list("lessons_total", "lessons_done")  # type: ignore[misc]  # annotations
    )


def progress_of(*, enrollment: Enrollment) -> float:
    """The enrollment's progress over the course's current lessons, in one query."""
    return lesson_counts(enrollment=enrollment).percent


def lesson_position(
    *, enrollment: Enrollment, lesson_id: uuid.UUID, progress: LessonProgress
) -> LessonPosition:
    """The answer to a resume point saved (`services.update_lesson_position`): the progress over
    the current lessons, and the enrollment's status and certificate as they are after it (a
    completion may have completed the course). Three queries: progress, enrollment, certificate
    (the last only once the course is completed)."""
    progress_percent = progress_of(enrollment=enrollment)
    status, completed_at = (
        Enrollment.objects.filter(pk=enrollment.pk).values_list("status", "completed_at").get()
    )
    certificate_id = (
        Certificate.objects.filter(enrollment_id=enrollment.pk).values_list("pk", flat=True).first()
        if completed_at is not None
        else None
    )
    return LessonPosition(
        lesson_id=lesson_id,
        position_seconds=progress.position_seconds,
        completed=progress.completed_at is not None,
        completed_at=progress.completed_at,
        progress_percent=progress_percent,
        enrollment_status=status,
        certificate_id=certificate_id,
        certificate_status=certificate_status(
            certificate_id=certificate_id, completed_at=completed_at, status=status
        ),
    )


def progress_percents_for(*, user: Any, course_ids: Collection[Any]) -> dict[Any, float]:
    """How far the user got in each course (0 when not enrolled), in one query; commerce's
    refund rule reads it."""
    enrollments = with_live_progress(
        Enrollment.objects.filter(student_id=user.pk, course_id__in=list(course_ids))
    )
    found = {enrollment.course_id: live_percent(enrollment) for enrollment in enrollments}
    return {course_id: found.get(course_id, 0.0) for course_id in course_ids}


def purchased_access_enrollments(*, user: Any, course_ids: Collection[Any]) -> list[Enrollment]:
    """The user's enrollments bought with an order that still give access to these courses,
    in one query (what refunding those courses takes back)."""
    return list(
        Enrollment.objects.filter(
            student_id=user.pk,
            course_id__in=list(course_ids),
            status__in=ACCESS_STATUSES,
            source=EnrollmentSource.PURCHASE,
        ).order_by("course_id")
    )


# --- the catalog's questions (registered in LearningConfig.ready) --------------------------------


def access_enrollments(*, student_id: Any, course: Any) -> QuerySet[Enrollment]:
    """The student's enrollments that give access to `course` (an id, or an `OuterRef` for an
    `Exists` that puts the answer in another query's rows)."""
    return Enrollment.objects.filter(
        student_id=student_id, course_id=course, status__in=ACCESS_STATUSES
    )


def enrolled_course_ids_for(user: Any, course_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `course_ids` the user may study (active or completed), in one query."""
    return set(
        Enrollment.objects.filter(
            student_id=user.pk, course_id__in=list(course_ids), status__in=ACCESS_STATUSES
        ).values_list("course_id", flat=True)
    )


def completed_lesson_ids_for(user: Any, course_id: Any) -> set[uuid.UUID]:
    """Lessons of the course the user completed, in one query (none once revoked)."""
    return set(
        LessonProgress.objects.filter(
            enrollment__student_id=user.pk,
            enrollment__course_id=course_id,
            enrollment__status__in=ACCESS_STATUSES,
            completed_at__isnull=False,
        ).values_list("lesson_id", flat=True)
    )


# --- enrollments -------------------------------------------------------------------------------


def active_enrollment(*, user: Any, course_id: Any) -> Enrollment | None:
    """The user's enrollment that gives access to the course (active or completed), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Enrollment.objects.filter(
            student_id=user.pk, course_id=course_id, status__in=ACCESS_STATUSES
        )
        .select_related("course")
        .first()
    )


def enrollments_of(*, user: Any) -> QuerySet[Enrollment]:
    """The user's enrollments with their course, last lesson and live progress."""
    return with_live_progress(
        Enrollment.objects.filter(student_id=user.pk)
        .select_related("course", "course__instructor", "last_lesson", "certificate")
        .order_by("-enrolled_at", "-id")
    )


def enrollment_for_user(*, user: Any, enrollment_id: Any) -> Enrollment:
    """The user's own enrollment row, or 404 (another user's is never revealed); the access
    check of every progress write (the row alone: the writes answer from their own reads)."""
    found = list(Enrollment.objects.filter(student_id=user.pk, pk=enrollment_id).order_by())
    if not found:
        raise NotFound("Enrollment not found.")
    return found[0]


def progress_row(*, enrollment_id: Any, lesson_id: Any) -> LessonProgress | None:
    """The enrollment's progress row of one lesson (unique), from the primary database:
    the writes of progress read it under the enrollment's lock."""
    found = list(
        LessonProgress.objects.using(_primary(LessonProgress)).filter(
            enrollment_id=enrollment_id, lesson_id=lesson_id
        )
    )
    return found[0] if found else None


def enrollment_detail(*, user: Any, enrollment_id: Any) -> Enrollment:
    """The user's own enrollment with its course, last lesson and live progress, or 404."""
    enrollment = enrollments_of(user=user).filter(pk=enrollment_id).first()
    if enrollment is None:
        raise NotFound("Enrollment not found.")
    return enrollment


def lesson_progress_of(*, enrollment_id: Any, course_id: Any) -> list[dict[str, Any]]:
    """Every current lesson of the enrollment's course in curriculum order, with this
    enrollment's progress on it (none yet: not completed, position 0) and what completes it
    (`completed_by`: the student, or a quiz or assignment), in one query."""
    rows = _curriculum_order(
        Lesson.objects.filter(course_id=course_id).annotate(
            mine=FilteredRelation(
                "progress_records", condition=Q(progress_records__enrollment_id=enrollment_id)
            )
        )
    ).values_list("id", "type", "mine__completed_at", "mine__position_seconds")  # type: ignore[misc]
    return [
        {
            "lesson_id": lesson_id,
            "type": lesson_type,
            "completed_by": completed_by(lesson_type),
            "completed_at": completed_at,
            "position_seconds": position or 0,
        }
        for lesson_id, lesson_type, completed_at, position in rows
    ]


@functools.cache
def _completion_snapshot_base() -> QuerySet[Any]:
    """The part of the snapshot query that no request changes (the enrollment's columns, its
    course, instructor, last lesson and certificate, the live lesson counts), built once per
    process: resolving these thirty columns through their joins was the larger part of the
    repeated completion's CPU. Never evaluated itself: each request filters a clone of it
    (as DRF does with a view's class-level queryset)."""
    return (
        Enrollment.objects.annotate(lessons_total=_lesson_total(), lessons_done=_lessons_done())
        .order_by()
        .values(
            "id",
            "status",
            "source",
            "enrolled_at",
            "completed_at",
            "last_accessed_at",
            "progress_percent",
            "course_id",
            "course__slug",
            "course__title",
            "course__thumbnail",
            "course__instructor_id",
            *display_name_fields("course__instructor__"),
            "last_lesson_id",
            "last_lesson__title",
            "last_lesson__type",
            "certificate__id",
            "lessons_total",
            "lessons_done",
        )
    )


def _completion_snapshot_query(
    student_id: Any, enrollment_id: Any, lesson_id: Any
) -> QuerySet[Any]:
    return (
        _completion_snapshot_base()
        .filter(student_id=student_id, pk=enrollment_id)
        .annotate(
            # the lesson itself, joined when it belongs to the enrollment's course
            this_lesson=FilteredRelation(
                "course__lessons", condition=Q(course__lessons__pk=lesson_id)
            ),
            # this enrollment's progress row of the lesson (at most one: unique per lesson)
            this_progress=FilteredRelation(
                "lesson_progress", condition=Q(lesson_progress__lesson_id=lesson_id)
            ),
            # added to the row's columns (the base is a values() queryset)
            **_SNAPSHOT_COLUMNS,
        )
    )


# The snapshot's columns of the lesson: whether it is one of the enrollment's course (its
# id) and whether a student completes it (its type), for the repeated-completion check.
_SNAPSHOT_LESSON_FIELDS = ("id", "type")


def _snapshot_key(name: str) -> str:
    """The snapshot row's key of the lesson's field `name`."""
    return f"this_lesson_{name}"


# The per-request columns over the two filtered relations (expressions are copied when a
# query resolves them, so one set serves every request).
_SNAPSHOT_COLUMNS = {
    **{_snapshot_key(name): F(f"this_lesson__{name}") for name in _SNAPSHOT_LESSON_FIELDS},
    "lesson_completed_at": F("this_progress__completed_at"),
}

# The lesson's fields a completion needs (the write, and its answer's `last_lesson`).
_COMPLETION_LESSON_FIELDS = ("course", "title", "type", "duration_seconds")


def lesson_from_snapshot(row: dict[str, Any] | None) -> Lesson | None:
    """The lesson of a `completion_snapshot` row when it belongs to the enrollment's course,
    holding the fields a completion needs (the rest deferred); None otherwise (the caller
    then reads it by id: 404, or 400 for another course's). One query, on the write path
    only: a repeated completion is answered from the snapshot alone."""
    if row is None or row[_snapshot_key("id")] is None:
        return None
    lessons = Lesson.objects.filter(pk=row[_snapshot_key("id")])
    return lessons.only(*_COMPLETION_LESSON_FIELDS).first()


def completion_snapshot(
    *, user: Any, enrollment_id: Any, lesson_id: Any, primary: bool = False
) -> dict[str, Any] | None:
    """The user's enrollment as a plain row, with what completing `lesson_id` would need to
    know (the lesson itself when it is one of the course's, whether it is already completed,
    the live lesson counts), in one query; None when the user has no such enrollment.
    `primary`: read the primary database (right after a write)."""
    rows = _completion_snapshot_query(user.pk, enrollment_id, lesson_id)
    if primary:
        rows = rows.using(_primary(Enrollment))
    found = list(rows)
    if not found:
        return None
    row = found[0]
    row["lesson_completed"] = row.pop("lesson_completed_at") is not None
    return row


def lesson_by_id(*, lesson_id: Any) -> Lesson:
    """Any lesson by id, or 404; services decide whether it belongs to the enrollment."""
    found = list(Lesson.objects.filter(pk=lesson_id).order_by())
    if not found:
        raise NotFound("Lesson not found.")
    return found[0]


def unmet_prerequisites(*, user: Any, course_id: Any) -> list[dict[str, Any]]:
    """Prerequisite courses the user has not completed: `[{id, slug, title}]`."""
    completed = Enrollment.objects.filter(
        student_id=user.pk,
        course_id=OuterRef("pk"),
        completed_at__isnull=False,
        status__in=ACCESS_STATUSES,
    )
    rows = (
        Course.objects.filter(required_by=course_id)
        .exclude(Exists(completed))
        .order_by("title")
        .values("id", "slug", "title")
    )
    return [dict(row) for row in rows]


def published_course(*, ref: Any) -> Course:
    """A published course by id or slug, or 404."""
    course = (
        Course.objects.filter(course_ref_filter(ref), status=CourseStatus.PUBLISHED)
        .select_related("instructor")
        .first()
    )
    if course is None:
        raise NotFound("Course not found.")
    return course


def instructor_names(*, course: Course) -> list[str]:
    """The owner first, then the co-instructors by name."""
    owner = User.objects.get(pk=course.instructor_id)
    others = course.co_instructors.order_by("first_name", "last_name", "email")
    return [owner.full_name, *(person.full_name for person in others)]


# --- certificates ------------------------------------------------------------------------------


def certificates_of(*, user: Any) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(student_id=user.pk)
        .select_related("course")
        .order_by("-issued_at", "-id")
    )


def certificate_standing(*, student_id: Any, course_id: Any) -> tuple[str | None, uuid.UUID | None]:
    """`(certificate_status, certificate_id)` of the student's enrollment in the course
    (`read_models.certificate_status`), `(None, None)` without one: what an answer that may
    have completed the course (a passed quiz) tells the client. One query."""
    from .read_models import certificate_status

    row = (
        Enrollment.objects.filter(student_id=student_id, course_id=course_id)
        .values("status", "completed_at", "certificate__id")
        .first()
    )
    if row is None:
        return None, None
    status = certificate_status(
        certificate_id=row["certificate__id"],
        completed_at=row["completed_at"],
        status=row["status"],
    )
    return status, row["certificate__id"]


def certificate_id_of(*, enrollment_id: Any) -> uuid.UUID | None:
    """The id of the enrollment's certificate, or None while it is not issued (one query)."""
    return (
        Certificate.objects.filter(enrollment_id=enrollment_id).values_list("pk", flat=True).first()
    )


def certificate_for_user(*, user: Any, certificate_id: Any) -> Certificate:
    """The user's own certificate, or 404."""
    certificate = certificates_of(user=user).filter(pk=certificate_id).first()
    if certificate is None:
        raise NotFound("Certificate not found.")
    return certificate


def certificate_by_code(*, code: str | None) -> Certificate | None:
    """A certificate by its canonical code (with its enrollment, for the validity check)."""
    if code is None:
        return None
    return Certificate.objects.filter(code=code).select_related("enrollment").first()


def certificate_is_valid(*, certificate: Certificate) -> bool:
    """A certificate stops being valid when its enrollment is revoked (a refund, a decision)."""
    return bool(certificate.enrollment.status != "revoked")


# --- activity, streaks and the dashboard ---------------------------------------------------------


@dataclass(frozen=True)
class Streaks:
    current: int
    longest: int


def streaks(days: Collection[date], *, today: date) -> Streaks:
    """Runs of consecutive study days. The current run is still alive until today ends, so it
    counts up to yesterday when the user has not studied yet today."""
    ordered = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = 0
    if previous is not None and today - previous <= timedelta(days=1):
        current = run
    return Streaks(current=current, longest=longest)


def _zone_of(names: Collection[str | None]) -> zoneinfo.ZoneInfo:
    for name in names:
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def _dashboard_counts_query(user_id: Any) -> QuerySet[Any]:
    return _dashboard_counts_base().filter(pk=user_id)


@functools.cache
def _dashboard_counts_base() -> QuerySet[Any]:
    """Every user's counts and time zones: built once per process (as the completion
    snapshot's base), filtered by user per request."""
    mine = Enrollment.objects.filter(student_id=OuterRef("pk"))
    return User.objects.annotate(
        enrolled=count_of(mine.filter(status__in=ACCESS_STATUSES)),
        completed=count_of(mine.filter(status="completed")),
        in_progress=count_of(mine.filter(status="active")),
        certificate_count=count_of(
            Certificate.objects.filter(enrollment__student_id=OuterRef("pk"))
        ),
    ).values(
        "student_profile__timezone",
        "instructor_profile__timezone",
        "enrolled",
        "completed",
        "in_progress",
        "certificate_count",
    )


@dataclass(frozen=True, slots=True)
class DashboardStats:
    """The figures of `/dashboard/stats/` (rendered by `DashboardStatsSerializer`)."""

    enrolled_count: int
    completed_count: int
    in_progress_count: int
    certificate_count: int
    current_streak: int
    longest_streak: int
    learning_minutes_7d: int
    timezone: str


def _study_days(*, user_id: Any, tz: zoneinfo.ZoneInfo) -> QuerySet[Any]:
    """Seconds studied per local day in `tz`, for every day with any activity."""
    return _study_days_base(tz).filter(user_id=user_id)


@functools.lru_cache(maxsize=64)
def _study_days_base(tz: zoneinfo.ZoneInfo) -> QuerySet[Any]:
    """Every user's seconds per local day in `tz`, built once per process and zone; the
    user's filter (a column, not the sum) lands in the WHERE clause."""
    return (
        ActivityEvent.objects.annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(seconds=Sum("seconds"))
        .values_list("day", "seconds")
    )


def dashboard_stats(*, user: Any) -> DashboardStats:
    """The figures of `/dashboard/stats/` in two queries (counts with the timezone, study days)."""
    row: dict[str, Any] = _dashboard_counts_query(user.pk).first() or {}
    tz = _zone_of((row.get("student_profile__timezone"), row.get("instructor_profile__timezone")))
    days = {day: seconds or 0 for day, seconds in _study_days(user_id=user.pk, tz=tz)}
    today = timezone.now().astimezone(tz).date()
    week_start = today - timedelta(days=6)
    seconds_7d = sum(seconds for day, seconds in days.items() if week_start <= day <= today)
    run = streaks(days, today=today)
    return DashboardStats(
        enrolled_count=row.get("enrolled") or 0,
        completed_count=row.get("completed") or 0,
        in_progress_count=row.get("in_progress") or 0,
        certificate_count=row.get("certificate_count") or 0,
        current_streak=run.current,
        longest_streak=run.longest,
        learning_minutes_7d=round(seconds_7d / 60),
        timezone=str(tz),
    )


def local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _curriculum_order(queryset: QuerySet[Lesson]) -> QuerySet[Lesson]:
    return queryset.order_by("section__order", "section__created_at", "order", "created_at")


def continue_learning(*, user: Any) -> QuerySet[Enrollment]:
    """Active enrollments, most recently studied first, each annotated with its next lesson.

    The next lesson is the first one in curriculum order that is not completed yet.
    """
    remaining = _curriculum_order(
        Lesson.objects.filter(course_id=OuterRef("course_id")).exclude(
            pk__in=LessonProgress.objects.filter(
                enrollment_id=OuterRef(OuterRef("pk")), completed_at__isnull=False
            ).values("lesson_id")
        )
    )
    return with_live_progress(
        Enrollment.objects.filter(student_id=user.pk, status="active")
        .select_related("course", "course__instructor")
        .annotate(next_lesson_id=Subquery(remaining.values("id")[:1]))
        .filter(next_lesson_id__isnull=False)
        .order_by(F("last_accessed_at").desc(nulls_last=True), "-enrolled_at", "-id")
    )


def next_lessons(*, enrollments: Collection[Enrollment]) -> dict[Any, dict[str, Any]]:
    """The next lessons of a page of `continue_learning` by id, in one query."""
    ids: list[Any] = [getattr(enrollment, "next_lesson_id", None) for enrollment in enrollments]
    ids = [lesson_id for lesson_id in ids if lesson_id is not None]
    rows = Lesson.objects.filter(pk__in=ids).values(
        "id", "title", "type", "duration_seconds", "section_id", "section__title"
    )
    return {row["id"]: dict(row) for row in rows}


def resume_positions(*, enrollments: Collection[Enrollment]) -> dict[tuple[Any, Any], int]:
    """Where each next lesson was left off, by (enrollment id, lesson id), in one query."""
    pairs = [
        (enrollment.pk, getattr(enrollment, "next_lesson_id", None)) for enrollment in enrollments
    ]
    lesson_ids = [lesson_id for _enrollment, lesson_id in pairs if lesson_id is not None]
    if not lesson_ids:
        return {}
    rows = LessonProgress.objects.filter(
        enrollment_id__in=[enrollment_id for enrollment_id, _lesson in pairs],
        lesson_id__in=lesson_ids,
    ).values_list("enrollment_id", "lesson_id", "position_seconds")
    return {(enrollment_id, lesson_id): position for enrollment_id, lesson_id, position in rows}


# --- recommendations ---------------------------------------------------------------------------

RECOMMENDATION_LIMIT = 50
RECOMMENDATION_FIELDS = (
    "id",
    "slug",
    "title",
    "subtitle",
    "thumbnail",
    "level",
    "language",
    "price",
    "currency",
    "is_free",
    "rating",
    "review_count",
    "enrollment_count",
    "lesson_count",
    "instructor_id",
    *display_name_fields("instructor__"),
)


def _interest_score(interests: onboarding.Interests) -> Any:
    """Onboarding interests (lms.accounts.onboarding): a course in a chosen category or its
    subcategory 3, each chosen tag it carries 2 (the weights of studied courses below)."""
    in_category = Q(category__slug__in=interests.category_slugs) | Q(
        category__parent__slug__in=interests.category_slugs
    )
    chosen_tags = count_of(
        Course.tags.through.objects.filter(
            course_id=OuterRef("pk"), tag__slug__in=interests.tag_slugs
        )
    )
    category = Case(When(in_category, then=Value(3)), default=Value(0), output_field=IntegerField())
    return category + 2 * chosen_tags


def recommendations(*, user: Any, limit: int = 10) -> list[RecommendedCourse]:
    """Published courses the user neither owns nor teaches, ranked by what they study.

    Score: same category as a studied course (3), each shared tag (2), each co-enrolled
    student who also took it (1); ties and cold starts go by popularity, then rating.
    """
    studied = Enrollment.objects.filter(student_id=user.pk, status__in=ACCESS_STATUSES)
    studied_ids = list(studied.values_list("course_id", flat=True))
    taught = Course.co_instructors.through.objects.filter(user_id=user.pk).values("course_id")
    candidates = (
        Course.objects.filter(status=CourseStatus.PUBLISHED)
        .exclude(pk__in=studied_ids)
        .exclude(instructor_id=user.pk)
        .exclude(pk__in=taught)
    )
    popularity = ("-enrollment_count", "-rating", "-published_at", "-id")
    if not studied_ids:
        interests = onboarding.interests_of(user)
        if interests:  # no course yet: what the onboarding answers point to comes first
            rows = (
                candidates.annotate(score=_interest_score(interests))
                .order_by("-score", *popularity)
                .values(*RECOMMENDATION_FIELDS, "score")[:limit]
            )
            return [RecommendedCourse.of_row(row) for row in rows]
        rows = candidates.order_by(*popularity).values(*RECOMMENDATION_FIELDS)[:limit]
        return [RecommendedCourse.of_row(row) for row in rows]

    category_ids = list(
        Course.objects.filter(pk__in=studied_ids, category_id__isnull=False)
        .values_list("category_id", flat=True)
        .distinct()
    )
    tag_ids = Course.tags.through.objects.filter(course_id__in=studied_ids).values("tag_id")
    shared_tags = count_of(
        Course.tags.through.objects.filter(course_id=OuterRef("pk"), tag_id__in=tag_ids)
    )
    peers = (
        Enrollment.objects.filter(course_id__in=studied_ids, status__in=ACCESS_STATUSES)
        .exclude(student_id=user.pk)
        .values("student_id")
    )
    co_enrolled = count_of(
        Enrollment.objects.filter(
            course_id=OuterRef("pk"), student_id__in=peers, status__in=ACCESS_STATUSES
        )
    )
    rows = (
        candidates.annotate(
            category_score=Case(
                When(category_id__in=category_ids, then=Value(3)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            tag_score=shared_tags,
            peer_score=co_enrolled,
        )
        .annotate(score=F("category_score") + 2 * F("tag_score") + F("peer_score"))
        .order_by("-score", *popularity)
        .values(*RECOMMENDATION_FIELDS, "score")[:limit]
    )
    return [RecommendedCourse.of_row(row) for row in rows]


# --- instructors' view of a course -------------------------------------------------------------


def course_for_progress_view(*, user: Any, ref: Any) -> Course:
    """A course whose students the user may follow: its instructors and platform staff.

    404 when the course does not exist or is not visible to the user; 403 when it is
    visible (published) but the user does not teach it.
    """
    course = Course.objects.filter(course_ref_filter(ref)).select_related("instructor").first()
    if course is None:
        raise NotFound("Course not found.")
    if is_staff_member(user):
        return course
    co_instructor_ids = list(course.co_instructors.values_list("id", flat=True))
    if is_course_instructor(
        user, instructor_id=course.instructor_id, co_instructor_ids=co_instructor_ids
    ):
        return course
    if course.status != CourseStatus.PUBLISHED:
        raise NotFound("Course not found.")
    raise PermissionDenied("Only the course's instructors see its students.")


def course_students(*, course: Course, status: str | None = None) -> QuerySet[Enrollment]:
    """The course's enrollments with the student, live progress and last activity."""
    last_activity = (
        ActivityEvent.objects.filter(
            user_id=OuterRef("student_id"), course_id=OuterRef("course_id")
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    queryset = Enrollment.objects.filter(course=course)
    if status:
        queryset = queryset.filter(status=status)
    return with_live_progress(
        queryset.select_related("student", "last_lesson")
        .annotate(last_activity_at=Subquery(last_activity))
        .order_by("-enrolled_at", "-id")
    )
