"""The course review workflow: one table of allowed transitions, one function applying them.

    draft ──submit──▶ pending ──approve──▶ approved ──publish──▶ published
    rejected ◀─reject─┘  ▲                  unpublished ◀─unpublish─┘
       └────submit───────┘                       └──────publish──────▶ published

Submitting needs a complete course (checked in services.submit_course_for_review);
everything else is a pure state change with its side effects listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, FloatField, Q, Sum
from django.utils import timezone

from lms.accounts.models import InstructorProfile
from lms.audit.actions import AuditAction
from lms.audit.transitions import StateMachine
from lms.core.errors import Conflict, NotFound
from lms.notifications.models import Category as NotificationCategory
from lms.notifications.services import notify

from . import cache
from .errors import CatalogError
from .models import Course, CourseStatus

S = CourseStatus


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    staff_only: bool
    notice: str  # the instructor's notification title; {title} is the course's


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("submit", frozenset({S.DRAFT, S.REJECTED}), S.PENDING, False,
                   "“{title}” was submitted for review"),
        Transition("approve", frozenset({S.PENDING}), S.APPROVED, True,
                   "“{title}” was approved"),
        Transition("reject", frozenset({S.PENDING}), S.REJECTED, True,
                   "“{title}” needs changes before it can be published"),
        Transition("publish", frozenset({S.APPROVED, S.UNPUBLISHED}), S.PUBLISHED, True,
                   "“{title}” is now published"),
        Transition("unpublish", frozenset({S.PUBLISHED}), S.UNPUBLISHED, True,
                   "“{title}” was unpublished"),
    )
}  # fmt: skip


# The same table as states, for the one state-transition helper (each target has one name).
COURSE_STATES = StateMachine(
    name="course",
    moves={
        source: tuple(t.target for t in TRANSITIONS.values() if source in t.sources)
        for source in S.values
    },
    actions={
        S.PENDING: AuditAction.COURSE_SUBMIT,
        S.APPROVED: AuditAction.COURSE_APPROVE,
        S.REJECTED: AuditAction.COURSE_REJECT,
        S.PUBLISHED: AuditAction.COURSE_PUBLISH,
        S.UNPUBLISHED: AuditAction.COURSE_UNPUBLISH,
    },
    conflict_code=CatalogError.INVALID_TRANSITION,
)


def allowed_transitions(status: str) -> list[str]:
    return [t.name for t in TRANSITIONS.values() if status in t.sources]


def recount_instructor_figures(*, instructor_id: Any) -> None:
    """Store an instructor's public figures from their courses: `course_count` (published
    courses they own), `review_count` (the visible reviews of their courses) and `rating`
    (the mean of those reviews: each course's rating weighted by its review count, two
    decimals; 0 without reviews).

    Recounted, never incremented: a figure that drifted (a course written without a
    service) is right again at the next change. The profile row is locked first and the
    figures read by a later statement, so under READ COMMITTED that statement sees every
    concurrent change that committed while it waited, and two recounts cannot lose one.
    Called by the publish/unpublish transitions and by `services.set_review_figures`.
    """
    locked = list(
        InstructorProfile.objects.select_for_update()
        .filter(user_id=instructor_id)
        .values_list("pk", flat=True)
    )
    if not locked:  # no instructor profile (a staff author): nothing to keep
        return
    figures = Course.objects.filter(instructor_id=instructor_id).aggregate(
        published=Count("pk", filter=Q(status=CourseStatus.PUBLISHED)),
        reviews=Sum("review_count"),
        weighted=Sum(F("rating") * F("review_count"), output_field=FloatField()),
    )
    reviews = figures["reviews"] or 0
    rating = round((figures["weighted"] or 0) / reviews, 2) if reviews else 0.0
    InstructorProfile.objects.filter(pk__in=locked).update(
        course_count=figures["published"], review_count=reviews, rating=rating
    )


@transaction.atomic
def apply_transition(
    *, course: Course, name: str, by: Any, request: Any = None, reason: str = ""
) -> Course:
    """Move the course along `name`, or raise Conflict; writes the audit line and notifies."""
    cache.bump()
    transition = TRANSITIONS[name]
    # Lock the row: two reviewers clicking at once must not both publish. A course deleted
    # since the view found it is a 404, as if the lookup had missed.
    locked = Course.objects.select_for_update().filter(pk=course.pk).first()
    if locked is None:
        raise NotFound()
    if locked.status not in transition.sources:
        raise Conflict(
            f"A {locked.status} course cannot be {name}ed"
            f" (allowed: {', '.join(allowed_transitions(locked.status)) or 'none'}).",
            code=CatalogError.INVALID_TRANSITION,
        )
    COURSE_STATES.apply(
        locked,
        transition.target,
        actor=by,
        request=request,
        data={"reason": reason} if reason else None,
    )
    now = timezone.now()
    fields = ["status", "updated_at"]
    if name == "submit":
        locked.submitted_at = now
        fields.append("submitted_at")
    if name == "reject":
        locked.rejection_reason = reason
        fields.append("rejection_reason")
    elif name in ("approve", "submit"):
        locked.rejection_reason = ""
        fields.append("rejection_reason")
    if name == "publish" and locked.published_at is None:
        locked.published_at = now  # kept on republish: "newest" means first published
        fields.append("published_at")
    locked.save(update_fields=fields)
    if name in ("publish", "unpublish"):
        recount_instructor_figures(instructor_id=locked.instructor_id)
    notify(
        user=locked.instructor,
        category=NotificationCategory.COURSES,
        title=transition.notice.format(title=locked.title),
        body=reason,
        data={"course_id": str(locked.pk), "status": locked.status},
    )
    return locked
