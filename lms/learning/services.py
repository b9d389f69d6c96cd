"""Every write of learning: enrolling, revoking, progress, activity and certificates.

Plain functions with keyword-only arguments, one transaction each; side effects (the
certificate task, emails) run after commit. Lock order is in `locks.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypeGuard

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, F, Model, OuterRef
from django.utils import timezone

from lms.accounts.models import InstructorProfile, User
from lms.audit.actions import AuditAction
from lms.audit.services import record, record_many
from lms.catalog.models import Course, CourseStatus, Lesson
from lms.catalog.permissions import is_course_instructor
from lms.core.email import send_templated_email
from lms.core.errors import Conflict, Invalid, NotFound, PaymentRequired, PermissionDenied
from lms.notifications.models import Category
from lms.notifications.services import email_enabled, notify

from . import certificates, locks, selectors, tasks
from .errors import LearningError
from .models import (
    ACCESS_STATUSES,
    ActivityEvent,
    ActivityKind,
    Certificate,
    CompletedBy,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    LessonProgress,
    completed_by,
)
from .read_models import EnrollmentSummary

logger = logging.getLogger(__name__)

IfExists = Literal["raise", "return"]

# A revoked enrollment comes back only through these (a refund then a new purchase, a grant).
REACTIVATING_SOURCES = (EnrollmentSource.PURCHASE, EnrollmentSource.STAFF_GRANT)


# --- enrolling ---------------------------------------------------------------------------------


@transaction.atomic
def enroll(
    *,
    student: User,
    course: Course,
    source: EnrollmentSource | str,
    if_exists: IfExists = "raise",
    actor: User | None = None,
) -> Enrollment:
    """Enroll `student` in `course`: the one way in for every caller (free, purchase, grant).

    Safe under a concurrent double call (the unique constraint decides). An existing active or
    completed enrollment raises 409 `already_enrolled` with `if_exists="raise"` and is returned
    unchanged with `if_exists="return"` (commerce's fulfilment). A revoked one is reactivated
    by a purchase or a staff grant.
    """
    return enroll_many(
        student=student, courses=[course], source=source, if_exists=if_exists, actor=actor
    )[0]


@transaction.atomic
def enroll_many(
    *,
    student: User,
    courses: Sequence[Course],
    source: EnrollmentSource | str,
    if_exists: IfExists = "raise",
    actor: User | None = None,
) -> list[Enrollment]:
    """`enroll` in several courses at once (an order's), in a number of queries that does not
    grow with the courses: their enrollments are inserted in one statement, locked in one,
    and their activity lines, audit lines and counters written in one each. Existing ones
    are answered as `enroll` answers them. Returns the enrollments in the courses' order.

    The shared counters (the courses', the instructors') are written last, so concurrent
    enrollments in one course wait on them for the least time.
    """
    try:
        source = EnrollmentSource(source)
    except ValueError as exc:
        raise Invalid("Unknown enrollment source.", code=LearningError.INVALID_SOURCE) from exc
    now = timezone.now()
    candidates = {
        course.pk: Enrollment(
            student=student,
            course=course,
            source=source,
            status=EnrollmentStatus.ACTIVE,
            last_accessed_at=now,
        )
        for course in courses
    }
    # INSERT … ON CONFLICT DO NOTHING: a concurrent call's row (or an earlier one) wins the
    # unique constraint without an error; the rows read back under lock say whose they are.
    Enrollment.objects.bulk_create(candidates.values(), ignore_conflicts=True)
    locked = locks.lock_enrollments_of(student_id=student.pk, course_ids=list(candidates))
    if len(locked) != len(candidates):  # enrollments are never deleted
        raise AssertionError("An enrollment row vanished between its insert and its lock.")
    created = [candidates[pk] for pk, row in locked.items() if row.pk == candidates[pk].pk]
    result: dict[Any, Enrollment] = {enrollment.course_id: enrollment for enrollment in created}
    reactivated = []
    for course_id, row in locked.items():
        if course_id not in result:
            was_revoked = row.status == EnrollmentStatus.REVOKED
            result[course_id] = _enroll_again(
                row, source=source, if_exists=if_exists, actor=actor or student
            )
            if was_revoked:
                reactivated.append(row)
    entered = [*created, *reactivated]
    if entered:
        # Counted together: each sees the other as entered now, not as an earlier enrollment.
        _count_new_enrollments(
            entered,
            instructor_ids={candidates[e.course_id].course.instructor_id for e in entered},
        )
    if created:
        ActivityEvent.objects.bulk_create(
            ActivityEvent(
                user=student,
                kind=ActivityKind.ENROLLED,
                course_id=enrollment.course_id,
                seconds=0,
                occurred_at=now,
            )
            for enrollment in created
        )
        record_many(
            action=AuditAction.LEARNING_ENROLLED,
            actor=actor or student,
            targets=[
                (enrollment, {"course_id": str(enrollment.course_id), "source": source.value})
                for enrollment in created
            ],
        )
    return [result[course.pk] for course in courses]


def _count_new_enrollments(entered: Sequence[Enrollment], *, instructor_ids: set[Any]) -> None:
    """+1 on the enrollment count of each course just entered (new or reactivated), and +1
    on the student count of each of their instructors (`instructor_ids`) for whom no other
    enrollment with access made the student theirs already; two statements whatever the
    number of courses."""
    Course.objects.filter(pk__in=[e.course_id for e in entered]).update(
        enrollment_count=F("enrollment_count") + 1
    )
    earlier = Enrollment.objects.filter(
        student_id=entered[0].student_id,
        course__instructor_id=OuterRef("user_id"),
        status__in=ACCESS_STATUSES,
    ).exclude(pk__in=[e.pk for e in entered])
    InstructorProfile.objects.filter(user_id__in=instructor_ids).exclude(Exists(earlier)).update(
        student_count=F("student_count") + 1
    )


def _enroll_again(
    enrollment: Enrollment, *, source: EnrollmentSource, if_exists: IfExists, actor: User
) -> Enrollment:
    if enrollment.status != EnrollmentStatus.REVOKED:
        if if_exists == "return":
            return enrollment
        raise Conflict(
            "You are already enrolled in this course.", code=LearningError.ALREADY_ENROLLED
        )
    if source not in REACTIVATING_SOURCES:
        raise PermissionDenied(
            "Your access to this course was revoked.", code=LearningError.ENROLLMENT_REVOKED
        )
    enrollment.status = (
        EnrollmentStatus.COMPLETED if enrollment.completed_at else EnrollmentStatus.ACTIVE
    )
    enrollment.source = source
    enrollment.revoked_at = None
    enrollment.revoke_reason = ""
    enrollment.last_accessed_at = timezone.now()
    enrollment.save(
        update_fields=[
            "status",
            "source",
            "revoked_at",
            "revoke_reason",
            "last_accessed_at",
            "updated_at",
        ]
    )
    record(
        action=AuditAction.LEARNING_ENROLLMENT_REACTIVATED,
        actor=actor,
        target=enrollment,
        data={"course_id": str(enrollment.course_id), "source": source.value},
    )
    return enrollment


def _uncount_enrollments(enrollments: list[Enrollment]) -> None:
    """Revoked enrollments of one student (one per course): -1 on each course's enrollment
    count, and -1 on each of their instructors' student count unless another enrollment with
    access keeps the student theirs. Three queries, however many."""
    (student_id,) = {enrollment.student_id for enrollment in enrollments}
    revoked = [enrollment.pk for enrollment in enrollments]
    courses = Course.objects.filter(pk__in=[enrollment.course_id for enrollment in enrollments])
    courses.filter(enrollment_count__gt=0).update(enrollment_count=F("enrollment_count") - 1)
    instructor_ids = set(courses.values_list("instructor_id", flat=True))
    others = Enrollment.objects.filter(
        student_id=student_id,
        course__instructor_id=OuterRef("user_id"),
        status__in=ACCESS_STATUSES,
    ).exclude(pk__in=revoked)
    InstructorProfile.objects.filter(user_id__in=instructor_ids, student_count__gt=0).exclude(
        Exists(others)
    ).update(student_count=F("student_count") - 1)


@transaction.atomic
def enroll_in_free_course(*, student: User, course: Course) -> Enrollment:
    """`POST /courses/{course}/enroll/`: the checks of a self-service enrollment, then `enroll`.

    Errors: 400 `own_course`; 409 `already_enrolled` for a course the student has access to
    (paid or free: an owned course is never 402); 402 `payment_required` for a paid course;
    409 `prerequisites_not_met`."""
    co_instructor_ids = list(course.co_instructors.values_list("id", flat=True))
    if is_course_instructor(
        student, instructor_id=course.instructor_id, co_instructor_ids=co_instructor_ids
    ):
        raise Invalid("You cannot enroll in a course you teach.", code=LearningError.OWN_COURSE)
    if selectors.enrolled_course_ids_for(student, [course.pk]):
        # an owned course answers as owned, whatever its price (not 402)
        raise Conflict(
            "You are already enrolled in this course.", code=LearningError.ALREADY_ENROLLED
        )
    if not (course.is_free or course.price == 0):
        raise PaymentRequired(
            "This course has a price: add it to your cart.", code=LearningError.PAYMENT_REQUIRED
        )
    ensure_prerequisites_met(student=student, course=course)
    return enroll(student=student, course=course, source=EnrollmentSource.FREE)


def ensure_prerequisites_met(*, student: User, course: Course) -> None:
    """409 `prerequisites_not_met`, naming the courses still to complete (commerce calls it too)."""
    missing = selectors.unmet_prerequisites(user=student, course_id=course.pk)
    if missing:
        titles = ", ".join(row["title"] for row in missing)
        raise Conflict(
            f"Complete these courses first: {titles}.", code=LearningError.PREREQUISITES_NOT_MET
        )


@transaction.atomic
def grant_enrollment(*, student: User, course: Course, by: User) -> Enrollment:
    """Staff give a student a course (no payment, no prerequisite check)."""
    if course.status != CourseStatus.PUBLISHED:
        raise Conflict("The course is not published.", code=LearningError.COURSE_NOT_AVAILABLE)
    return enroll(student=student, course=course, source=EnrollmentSource.STAFF_GRANT, actor=by)


@transaction.atomic
def revoke_enrollment(
    *, enrollment: Enrollment, reason: str, actor: User | None = None
) -> Enrollment:
    """Take the course away (a refund, a staff decision); access ends at once. Idempotent."""
    enrollment = locks.lock_enrollment(enrollment.pk)
    _revoke_locked([enrollment], reason=reason, actor=actor)
    return enrollment


@transaction.atomic
def revoke_enrollments(
    *, student_id: Any, enrollment_ids: Collection[Any], reason: str, actor: User | None = None
) -> int:
    """`revoke_enrollment` for several enrollments of one student at once (a refund of an order
    of several courses), in a constant number of queries: the rows locked in one statement
    (lock 1 of lms/learning/locks.py, in primary-key order), one update, the counters, one
    audit statement. Idempotent; returns how many were revoked now."""
    enrollments = locks.lock_enrollments(student_id=student_id, enrollment_ids=enrollment_ids)
    return _revoke_locked(enrollments, reason=reason, actor=actor)


def _revoke_locked(enrollments: list[Enrollment], *, reason: str, actor: User | None) -> int:
    """Revoke the locked `enrollments` of one student that still give access; the counters and
    the audit lines follow (constant queries)."""
    now = timezone.now()
    revoking = [e for e in enrollments if e.status != EnrollmentStatus.REVOKED]
    if not revoking:
        return 0
    for enrollment in revoking:
        enrollment.status = EnrollmentStatus.REVOKED
        enrollment.revoked_at = now
        enrollment.revoke_reason = reason[:300]
        enrollment.updated_at = now
    Enrollment.objects.filter(pk__in=[e.pk for e in revoking]).update(
        status=EnrollmentStatus.REVOKED, revoked_at=now, revoke_reason=reason[:300], updated_at=now
    )
    _uncount_enrollments(revoking)
    record_many(
        action=AuditAction.LEARNING_ENROLLMENT_REVOKED,
        actor=actor,
        targets=[(e, {"course_id": str(e.course_id), "reason": e.revoke_reason}) for e in revoking],
    )
    return len(revoking)


# --- progress ----------------------------------------------------------------------------------


def _check_progress_allowed(
    enrollment: Enrollment, lesson: Lesson, *, completing_by: CompletedBy | None = None
) -> None:
    """The checks of every progress write; `completing_by`: who is completing the lesson (a
    student completes only the lessons that have no assessment: 409 for the others)."""
    if lesson.course_id != enrollment.course_id:
        raise Invalid(
            "This lesson belongs to another course.", code=LearningError.LESSON_NOT_IN_COURSE
        )
    if enrollment.status == EnrollmentStatus.REVOKED:
        raise PermissionDenied(
            "Your access to this course was revoked.", code=LearningError.ENROLLMENT_REVOKED
        )
    if completing_by == CompletedBy.STUDENT and completed_by(lesson.type) != CompletedBy.STUDENT:
        raise Conflict(
            f"This lesson is completed by passing its {completed_by(lesson.type).value}.",
            code=LearningError.COMPLETION_BY_ASSESSMENT,
        )


@transaction.atomic
def complete_lesson(
    *, enrollment: Enrollment, lesson: Lesson, by: CompletedBy = CompletedBy.STUDENT
) -> Enrollment:
    """Mark a lesson done (idempotent) and recompute progress; at 100% the course completes.

    `by`: what completes it. A quiz or assignment lesson completes only by its assessment
    (`by=CompletedBy.QUIZ` or `ASSIGNMENT`, which assessments pass); the student's own word is
    409 `completion_by_assessment` there. Completing the course sets `completed_at` and issues
    the certificate after commit.
    """
    _check_progress_allowed(enrollment, lesson, completing_by=by)
    if _already_recorded(enrollment, lesson):
        return enrollment
    return _complete_locked(locks.lock_enrollment_row(enrollment.pk), lesson, by=by)


@transaction.atomic
def complete_own_lesson(*, student: Any, enrollment_id: Any, lesson: Lesson) -> Enrollment:
    """`complete_lesson` by the student, for an enrollment known by its id (the API's write
    path, once `mark_lesson_complete` has found that it writes): the student's own enrollment
    is found and locked in one query (another's is 404), then checked and written as there."""
    enrollment = locks.lock_own_enrollment(student_id=student.pk, enrollment_id=enrollment_id)
    if enrollment is None:
        raise NotFound("Enrollment not found.")
    return _complete_locked(enrollment, lesson, by=CompletedBy.STUDENT)


def _complete_locked(enrollment: Enrollment, lesson: Lesson, *, by: CompletedBy) -> Enrollment:
    _check_progress_allowed(enrollment, lesson, completing_by=by)
    now = timezone.now()
    # Progress rows are written only under their enrollment's lock (locks.py): a plain read
    # then an insert or an update cannot race.
    progress = selectors.progress_row(enrollment_id=enrollment.pk, lesson_id=lesson.pk)
    if progress is None or progress.completed_at is None:
        position = progress.position_seconds if progress is not None else 0
        if progress is None:
            LessonProgress.objects.create(enrollment=enrollment, lesson=lesson, completed_at=now)
        else:
            progress.completed_at = now
            progress.save(update_fields=["completed_at", "updated_at"])
        record_activity(
            user=enrollment.student_id,
            kind=ActivityKind.LESSON_COMPLETED,
            course=enrollment.course_id,
            lesson=lesson,
            # Watched video time was credited as it played; the rest of a video (or a whole
            # reading lesson) counts now.
            seconds=max(lesson.duration_seconds - position, 0),
        )
    _touch(enrollment, lesson=lesson, at=now)
    return _refresh_progress(enrollment, at=now)


# A repeated completion within this interval, with nothing else changed, writes nothing.
TOUCH_INTERVAL = timedelta(minutes=1)


def _already_recorded(enrollment: Enrollment, lesson: Lesson) -> bool:
    """Whether completing `lesson` again would change nothing (no lock, no write needed).

    Players resend completions; answering those without the enrollment's row lock keeps
    them from queueing behind each other.
    """
    now = timezone.now()
    if (
        enrollment.last_lesson_id != lesson.pk
        or enrollment.last_accessed_at is None
        or now - enrollment.last_accessed_at > TOUCH_INTERVAL
    ):
        return False
    if not LessonProgress.objects.filter(
        enrollment_id=enrollment.pk, lesson_id=lesson.pk, completed_at__isnull=False
    ).exists():
        return False
    counts = selectors.lesson_counts(enrollment=enrollment)
    if counts.percent != enrollment.progress_percent or (
        counts.percent >= 100 and enrollment.completed_at is None
    ):
        return False
    enrollment.lessons_done = counts.done  # type: ignore[attr-defined]
    enrollment.lessons_total = counts.total  # type: ignore[attr-defined]
    return True


def mark_lesson_complete(*, user: Any, enrollment_id: Any, lesson_id: Any) -> EnrollmentSummary:
    """`POST /enrollments/{id}/mark-lesson-complete/`: the enrollment as its student sees it
    after completing the lesson (a typed read model, built from
    `selectors.completion_snapshot`'s row).

    A player resending a completion is answered from that one query, with no lock and no
    write. Otherwise the lesson (it comes with the snapshot when it is one of the course's;
    else it is read, to answer 404, or 400 for another course's lesson) is completed by
    `complete_own_lesson`, and the snapshot is brought up to what was written.
    """
    row = selectors.completion_snapshot(user=user, enrollment_id=enrollment_id, lesson_id=lesson_id)
    if _is_repeated_completion(row, lesson_id=lesson_id):
        return EnrollmentSummary.of_row(row)
    lesson = selectors.lesson_from_snapshot(row) or selectors.lesson_by_id(lesson_id=lesson_id)
    enrollment = complete_own_lesson(student=user, enrollment_id=enrollment_id, lesson=lesson)
    if row is None:  # created between the snapshot and the lock: read it now
        row = selectors.completion_snapshot(
            user=user, enrollment_id=enrollment_id, lesson_id=lesson_id, primary=True
        )
        if row is None:  # complete_own_lesson has just found and locked it
            raise AssertionError("The enrollment vanished after its completion.")
    after = _snapshot_after_completion(row, enrollment=enrollment, lesson=lesson)
    if after["completed_at"] is not None and after["certificate__id"] is None:
        # This request completed the course: the certificate task ran at commit when tasks
        # run in-process, so the answer can name it; with a worker it is still "issuing".
        after["certificate__id"] = selectors.certificate_id_of(enrollment_id=enrollment.pk)
    return EnrollmentSummary.of_row(after)


def _is_repeated_completion(
    row: dict[str, Any] | None, *, lesson_id: Any
) -> TypeGuard[dict[str, Any]]:
    """Whether completing `lesson_id` again would change nothing (`_already_recorded`, with
    the checks of `complete_lesson` passed), judged from the snapshot row alone. False when a
    write must run (which also answers every error: unknown enrollment or lesson, another
    course's lesson, a revoked access)."""
    if (
        row is None
        or row["this_lesson_id"] is None  # unknown, or of another course
        or completed_by(row["this_lesson_type"]) != CompletedBy.STUDENT  # 409 on the write path
        or row["status"] == EnrollmentStatus.REVOKED
        or row["last_lesson_id"] != lesson_id
        or row["last_accessed_at"] is None
        or timezone.now() - row["last_accessed_at"] > TOUCH_INTERVAL
        or not row["lesson_completed"]
    ):
        return False
    counts = selectors.Progress(done=row["lessons_done"] or 0, total=row["lessons_total"] or 0)
    return counts.percent == row["progress_percent"] and not (
        counts.percent >= 100 and row["completed_at"] is None
    )


def _snapshot_after_completion(
    row: dict[str, Any], *, enrollment: Enrollment, lesson: Lesson
) -> dict[str, Any]:
    """The snapshot `row` read before `complete_own_lesson`, brought up to what it wrote
    (the returned enrollment carries the saved fields and the recounted lessons): the
    write's answer without reading the enrollment again. A certificate is issued after
    commit, so the row's certificate is still the answer's."""
    return {
        **row,
        "status": enrollment.status,
        "completed_at": enrollment.completed_at,
        "last_accessed_at": enrollment.last_accessed_at,
        "progress_percent": enrollment.progress_percent,
        "last_lesson_id": lesson.pk,
        "last_lesson__title": lesson.title,
        "last_lesson__type": lesson.type,
        "lesson_completed": True,
        "lessons_done": enrollment.lessons_done,  # type: ignore[attr-defined]
        "lessons_total": enrollment.lessons_total,  # type: ignore[attr-defined]
    }


@transaction.atomic
def update_lesson_position(
    *, enrollment: Enrollment, lesson: Lesson, position_seconds: int, completed: bool = False
) -> LessonProgress:
    """Save the video resume point; `completed` also completes the lesson.

    Study time is credited for forward playback, never more than the wall-clock time since
    the previous report, so seeking ahead earns no minutes.
    """
    by = CompletedBy.STUDENT if completed else None
    _check_progress_allowed(enrollment, lesson, completing_by=by)
    if position_seconds < 0:
        raise Invalid("A position cannot be negative.", code=LearningError.INVALID_POSITION)
    enrollment = locks.lock_enrollment(enrollment.pk)
    _check_progress_allowed(enrollment, lesson, completing_by=by)
    now = timezone.now()
    if lesson.duration_seconds:
        position_seconds = min(position_seconds, lesson.duration_seconds)
    previous_visit = enrollment.last_accessed_at or enrollment.enrolled_at
    progress, created = LessonProgress.objects.get_or_create(enrollment=enrollment, lesson=lesson)
    since = previous_visit if created else progress.updated_at
    elapsed = max(int((now - since).total_seconds()), 0)
    watched = min(max(position_seconds - progress.position_seconds, 0), elapsed)
    progress.position_seconds = position_seconds
    progress.save(update_fields=["position_seconds", "updated_at"])
    if watched:
        record_activity(
            user=enrollment.student,
            kind=ActivityKind.LESSON_PROGRESS,
            course=enrollment.course,
            lesson=lesson,
            seconds=watched,
        )
    if completed:
        complete_lesson(enrollment=enrollment, lesson=lesson)
    else:
        _touch(enrollment, lesson=lesson, at=now)
        enrollment.save(update_fields=["last_lesson", "last_accessed_at", "updated_at"])
    progress.refresh_from_db()
    return progress


def _touch(enrollment: Enrollment, *, lesson: Lesson, at: datetime) -> None:
    enrollment.last_lesson = lesson
    enrollment.last_accessed_at = at


def _refresh_progress(enrollment: Enrollment, *, at: datetime) -> Enrollment:
    """Store the progress snapshot; complete the enrollment the first time it reaches 100%."""
    counts = selectors.lesson_counts(enrollment=enrollment)
    enrollment.progress_percent = counts.percent
    # What the API answers with, so it needs no second read.
    enrollment.lessons_done = counts.done  # type: ignore[attr-defined]
    enrollment.lessons_total = counts.total  # type: ignore[attr-defined]
    fields = ["progress_percent", "last_lesson", "last_accessed_at", "updated_at"]
    if enrollment.progress_percent >= 100 and enrollment.completed_at is None:
        enrollment.completed_at = at
        enrollment.status = EnrollmentStatus.COMPLETED
        fields += ["completed_at", "status"]
        record_activity(
            user=enrollment.student_id,
            kind=ActivityKind.COURSE_COMPLETED,
            course=enrollment.course_id,
        )
        record(
            action=AuditAction.LEARNING_COURSE_COMPLETED,
            actor=enrollment.student,
            target=enrollment,
            data={"course_id": str(enrollment.course_id)},
        )
        from .tasks import issue_certificate

        issue_certificate.delay_on_commit(str(enrollment.pk))
    enrollment.save(update_fields=fields)
    return enrollment


# --- activity ----------------------------------------------------------------------------------


def _pk(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def record_activity(
    *,
    user: Any,
    kind: ActivityKind | str,
    course: Any = None,
    lesson: Lesson | None = None,
    minutes: float = 0,
    seconds: int = 0,
    at: datetime | None = None,
) -> ActivityEvent:
    """One learning action for streaks and study time (`minutes` and `seconds` add up).

    `user` and `course` may be given as instances or as their ids."""
    total = max(int(seconds) + round(minutes * 60), 0)
    return ActivityEvent.objects.create(
        user_id=_pk(user),
        kind=ActivityKind(kind),
        course_id=_pk(course),
        lesson=lesson,
        seconds=total,
        occurred_at=at or timezone.now(),
    )


# --- certificates ------------------------------------------------------------------------------


@transaction.atomic
def issue_certificate(*, enrollment_id: Any) -> Certificate:
    """The certificate of a completed enrollment, created once (later calls return it)."""
    enrollment = locks.lock_enrollment(enrollment_id)
    existing = Certificate.objects.filter(enrollment=enrollment).first()
    if existing is not None:
        return existing
    if enrollment.completed_at is None:
        raise Conflict("The course is not completed yet.", code=LearningError.COURSE_NOT_COMPLETED)
    student = User.objects.get(pk=enrollment.student_id)
    course = enrollment.course
    certificate = Certificate(
        enrollment=enrollment,
        student=student,
        course=course,
        code=_unused_certificate_code(),
        issued_at=timezone.now(),
        student_name=student.full_name,
        course_title=course.title,
        instructor_names=selectors.instructor_names(course=course),
    )
    certificate.pdf.save(
        f"{certificate.code}.pdf",
        ContentFile(certificates.render_pdf(certificate)),
        save=False,
    )
    certificate.save()
    record(action=AuditAction.LEARNING_CERTIFICATE_ISSUED, actor=None, target=certificate)
    _announce_certificate(certificate, student=student)
    return certificate


def _unused_certificate_code() -> str:
    for _attempt in range(10):
        code = certificates.new_code()
        if not Certificate.objects.filter(code=code).exists():
            return code
    raise RuntimeError("Could not find an unused certificate code.")  # 30^8 codes: not reached


def _announce_certificate(certificate: Certificate, *, student: User) -> None:
    link = certificates.verification_url(certificate.code)
    notify(
        user=student,
        category=Category.LEARNING,
        title=f"Your certificate for {certificate.course_title} is ready",
        body=f"Congratulations on completing the course. Verification code: {certificate.code}.",
        data={
            "certificate_id": str(certificate.pk),
            "code": certificate.code,
            "verify_url": link,
            "course_id": str(certificate.course_id),
        },
        email=False,  # the certificate has its own email below
    )
    if email_enabled(user=student, category=Category.LEARNING):
        tasks.send_certificate_email.delay_on_commit(str(certificate.pk))


def email_certificate(*, certificate_id: str) -> None:
    """Mail the student their new certificate (in the task, built from its id)."""
    certificate = Certificate.objects.select_related("student").filter(pk=certificate_id).first()
    if certificate is None:
        return
    send_templated_email(
        to=certificate.student.email,
        template="certificate_issued",
        context={
            "certificate": certificate,
            "student_name": certificate.student_name,
            "verify_url": certificates.verification_url(certificate.code),
            "certificates_url": f"{settings.FRONTEND_URL}/certificates/{certificate.pk}",
        },
    )


def certificate_pdf_bytes(*, certificate: Certificate) -> bytes:
    """The stored PDF; rendered again (and stored) when the file went missing."""
    if certificate.pdf:
        try:
            with certificate.pdf.open("rb") as handle:
                return handle.read()
        except FileNotFoundError:
            logger.warning("Certificate %s lost its PDF; rendering it again.", certificate.pk)
    content = certificates.render_pdf(certificate)
    certificate.pdf.save(f"{certificate.code}.pdf", ContentFile(content), save=False)
    Certificate.objects.filter(pk=certificate.pk).update(pdf=certificate.pdf.name)
    return content
