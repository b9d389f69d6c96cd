"""Every community write: reviews, votes, lesson comments, discussions, replies, reports and
moderation. One transaction each, locks in the order of `locks.py`, notifications through
`lms.notifications.services.notify` (category `community`, the user's email preference
honoured by its delivery task), audit lines for every staff or instructor decision.

Callers pass the `selectors.CourseAccess` of the course the item belongs to (the caller's
relation to it, read before the write); the services enforce the rules on it:

- reviews: enrolled students only, never on a course one teaches (403), one per student and
  course (409 `already_reviewed`); the course's rating and review count recomputed from its
  visible reviews under the course's row lock in the same transaction;
- helpful votes: never on one's own review (400 `own_review`), one per user (vote twice: no
  change);
- lesson comments and discussions: enrolled students and the course's instructors;
- a locked discussion refuses replies (409 `discussion_locked`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, OuterRef, Subquery, Sum, TextField, Value
from django.db.models.functions import Coalesce, Left
from django.utils import timezone

from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.catalog import services as catalog_services
from lms.catalog.filters import SEARCH_CONFIG
from lms.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from lms.core.requests import AnyRequest
from lms.notifications.models import Category
from lms.notifications.services import notify

from . import locks
from .errors import CommunityError
from .models import (
    Discussion,
    DiscussionKind,
    DiscussionReply,
    ItemKind,
    LessonComment,
    ReplyUpvote,
    Report,
    ReportDecision,
    ReportStatus,
    Review,
    ReviewReply,
    ReviewVote,
    Visibility,
)
from .selectors import ITEM_AUTHOR_FIELD, CourseAccess, LessonRef
from .states import VISIBILITY, apply_flag_move

TITLE_EXCERPT = 80
# Text of replies kept in a discussion's search document (a tsvector holds at most 1 MB).
MAX_SEARCH_REPLY_TEXT = 200_000


def _excerpt(text: str, length: int = TITLE_EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _notify(*, user_id: Any, title: str, body: str = "", data: dict[str, Any]) -> None:
    from lms.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        notify(user=user, category=Category.COMMUNITY, title=title, body=body, data=data)


# --- reviews -------------------------------------------------------------------------------------


def refresh_course_rating(*, course_id: Any) -> tuple[float, int]:
    """Recount the course's visible reviews and store its rating (mean, two decimals, half
    up; 0 without reviews) and review count. Call it holding the course's lock."""
    figures = Review.objects.filter(course_id=course_id, visibility=Visibility.VISIBLE).aggregate(
        total=Sum("rating"), count=Count("id")
    )
    count = figures["count"] or 0
    rating = (
        float((Decimal(figures["total"]) / count).quantize(Decimal("0.01"), ROUND_HALF_UP))
        if count
        else 0.0
    )
    catalog_services.set_review_figures(course_id=course_id, rating=rating, review_count=count)
    return rating, count


@transaction.atomic
def write_review(*, access: CourseAccess, student: Any, rating: int, comment: str = "") -> Review:
    """A student's review of a course they are enrolled in (403 otherwise; 409 when they
    reviewed it already). The course's instructors are notified."""
    if student.pk in access.instructor_ids:
        raise PermissionDenied("You cannot review your own course.", code=CommunityError.OWN_COURSE)
    if not access.enrolled:
        raise PermissionDenied(
            "Only students enrolled in the course can review it.",
            code=CommunityError.NOT_ENROLLED,
        )
    locks.lock_course(access.course_id)
    already = Conflict(
        "You have reviewed this course already.", code=CommunityError.ALREADY_REVIEWED
    )
    if Review.objects.filter(course_id=access.course_id, student_id=student.pk).exists():
        raise already
    try:
        with transaction.atomic():
            review = Review.objects.create(
                course_id=access.course_id, student=student, rating=rating, comment=comment
            )
    except IntegrityError as error:  # the unique constraint, when no lock serialised us
        raise already from error
    refresh_course_rating(course_id=access.course_id)
    _notify(
        user_id=access.instructor_id,
        title=f"New {rating}-star review of {_excerpt(access.title)}",
        body=_excerpt(comment, 300),
        data={"kind": "review", "review_id": str(review.pk), "course_id": str(access.course_id)},
    )
    return review


@transaction.atomic
def edit_review(
    *, review_id: Any, by: Any, rating: int | None = None, comment: str | None = None
) -> Review:
    """The author changes their rating and/or comment (404 for anyone else)."""
    _course, review = locks.lock_course_and_review(review_id)
    if review.student_id != by.pk:
        raise NotFound("Review not found.")
    fields = ["updated_at"]
    if rating is not None and rating != review.rating:
        review.rating = rating
        fields.append("rating")
    if comment is not None:
        review.comment = comment
        fields.append("comment")
    review.save(update_fields=fields)
    if "rating" in fields:
        refresh_course_rating(course_id=review.course_id)
    return review


@transaction.atomic
def delete_review(*, review_id: Any, by: Any) -> None:
    """The author deletes their review; the course's figures follow."""
    _course, review = locks.lock_course_and_review(review_id)
    if review.student_id != by.pk:
        raise NotFound("Review not found.")
    course_id = review.course_id
    Report.objects.filter(kind=ItemKind.REVIEW, item_id=review.pk).delete()  # nothing to judge
    review.delete()
    refresh_course_rating(course_id=course_id)


def _recount_votes(review: Review) -> Review:
    review.helpful_count = ReviewVote.objects.filter(review_id=review.pk).count()
    review.save(update_fields=["helpful_count", "updated_at"])
    return review


@transaction.atomic
def vote_review_helpful(*, review_id: Any, by: Any) -> Review:
    """Mark a review helpful (once per user; again changes nothing). 400 `own_review` on
    one's own review."""
    review = locks.lock_review(review_id)
    if review.student_id == by.pk:
        raise Invalid("You cannot vote on your own review.", code=CommunityError.OWN_REVIEW)
    ReviewVote.objects.get_or_create(review_id=review.pk, user_id=by.pk)
    return _recount_votes(review)


@transaction.atomic
def unvote_review_helpful(*, review_id: Any, by: Any) -> Review:
    review = locks.lock_review(review_id)
    ReviewVote.objects.filter(review_id=review.pk, user_id=by.pk).delete()
    return _recount_votes(review)


@transaction.atomic
def reply_to_review(*, review_id: Any, access: CourseAccess, by: Any, body: str) -> ReviewReply:
    """The course's instructor answers a review once (403 for others, 409 a second time);
    the review's author is notified."""
    if by.pk not in access.instructor_ids:
        raise PermissionDenied(
            "Only the course's instructors can reply to its reviews.",
            code=CommunityError.NOT_COURSE_INSTRUCTOR,
        )
    review = locks.lock_review(review_id)
    already = Conflict("This review has a reply already.", code=CommunityError.ALREADY_REPLIED)
    if ReviewReply.objects.filter(review_id=review.pk).exists():
        raise already
    try:
        with transaction.atomic():
            reply = ReviewReply.objects.create(review=review, author=by, body=body)
    except IntegrityError as error:
        raise already from error
    _notify(
        user_id=review.student_id,
        title=f"The instructor replied to your review of {_excerpt(access.title)}",
        body=_excerpt(body, 300),
        data={
            "kind": "review_reply",
            "review_id": str(review.pk),
            "course_id": str(access.course_id),
        },
    )
    return reply


# --- lesson comments -----------------------------------------------------------------------------


@transaction.atomic
def post_comment(
    *, lesson: LessonRef, access: CourseAccess, author: Any, body: str, parent_id: Any = None
) -> LessonComment:
    """A comment on a lesson by an enrolled student or the course's instructor, optionally
    answering another comment of the same lesson (400 `invalid_parent` otherwise); the
    parent's author is notified."""
    access.require_member()
    parent = None
    if parent_id is not None:
        parent = LessonComment.objects.filter(pk=parent_id, lesson_id=lesson.id).first()
        if parent is None or (
            parent.visibility != Visibility.VISIBLE and parent.author_id != author.pk
        ):
            raise Invalid(
                "The parent must be a comment of the same lesson.",
                code=CommunityError.INVALID_PARENT,
            )
    comment = LessonComment.objects.create(
        lesson_id=lesson.id, course_id=lesson.course_id, author=author, parent=parent, body=body
    )
    if parent is not None and parent.author_id != author.pk and parent.deleted_at is None:
        _notify(
            user_id=parent.author_id,
            title=f"New reply to your comment on {_excerpt(lesson.title)}",
            body=_excerpt(body, 300),
            data={
                "kind": "comment_reply",
                "comment_id": str(comment.pk),
                "lesson_id": str(lesson.id),
                "course_id": str(lesson.course_id),
            },
        )
    return comment


@transaction.atomic
def edit_comment(*, comment_id: Any, by: Any, body: str) -> LessonComment:
    """The author edits their comment (404 for anyone else; 409 once deleted)."""
    comment = locks.lock_comment(comment_id)
    if comment.author_id != by.pk:
        raise NotFound("Comment not found.")
    if comment.deleted_at is not None:
        raise Conflict("This comment was deleted.", code=CommunityError.COMMENT_DELETED)
    comment.body = body
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at", "updated_at"])
    return comment


@transaction.atomic
def delete_comment(
    *, comment_id: Any, access: CourseAccess, by: Any, request: AnyRequest = None
) -> LessonComment:
    """The author, the course's instructors or staff delete a comment: its text goes, its
    place in the thread (and its replies) stays. A removal by someone else is audited."""
    comment = locks.lock_comment(comment_id)
    own = comment.author_id == by.pk
    if not own and not access.can_moderate:
        raise PermissionDenied(
            "Only the author, the course's instructors and staff can delete a comment."
        )
    if comment.deleted_at is not None:
        return comment
    comment.body = ""
    comment.deleted_at = timezone.now()
    comment.save(update_fields=["body", "deleted_at", "updated_at"])
    if not own:
        record(
            action=AuditAction.COMMUNITY_COMMENT_REMOVED,
            actor=by,
            target=comment,
            request=request,
            data={"lesson_id": str(comment.lesson_id), "author_id": str(comment.author_id)},
        )
    return comment


# --- discussions ---------------------------------------------------------------------------------


def refresh_discussion_search(*, discussion_id: Any) -> int:
    """Recompute the stored, weighted tsvector in one UPDATE (PostgreSQL; a no-op elsewhere):
    title A, body B, the visible replies' text C (the catalog's configuration)."""
    if connection.vendor != "postgresql":
        return 0
    text = TextField()
    replies = (
        DiscussionReply.objects.filter(discussion_id=OuterRef("pk"), visibility=Visibility.VISIBLE)
        .order_by()
        .values("discussion_id")
        .annotate(text=StringAgg("body", delimiter=" "))
        .values("text")
    )
    reply_text = Left(
        Coalesce(Subquery(replies, output_field=text), Value("", output_field=text)),
        MAX_SEARCH_REPLY_TEXT,
    )
    vector = (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("body", weight="B", config=SEARCH_CONFIG)
        + SearchVector(reply_text, weight="C", config=SEARCH_CONFIG)
    )
    return Discussion.objects.filter(pk=discussion_id).update(search_vector=vector)


@transaction.atomic
def start_discussion(
    *, access: CourseAccess, author: Any, title: str, body: str, kind: str
) -> Discussion:
    """A discussion or question in a course by a member (403 `not_enrolled` otherwise);
    a question notifies the course's instructors."""
    access.require_member()
    discussion = Discussion.objects.create(
        course_id=access.course_id,
        author=author,
        title=title,
        body=body,
        kind=kind,
        last_activity_at=timezone.now(),
    )
    refresh_discussion_search(discussion_id=discussion.pk)
    if kind == DiscussionKind.QUESTION:
        for instructor_id in sorted(access.instructor_ids - {author.pk}):
            _notify(
                user_id=instructor_id,
                title=f"New question in {_excerpt(access.title)}: {_excerpt(title)}",
                body=_excerpt(body, 300),
                data={
                    "kind": "question",
                    "discussion_id": str(discussion.pk),
                    "course_id": str(access.course_id),
                },
            )
    return discussion


@transaction.atomic
def reply_to_discussion(
    *, discussion_id: Any, access: CourseAccess, author: Any, body: str, parent_id: Any = None
) -> DiscussionReply:
    """A reply by a member, under the discussion's lock: 409 `discussion_locked` when it is
    locked, 400 `invalid_parent` when the parent is not a reply of the same discussion. The
    discussion's author (and the parent's) are notified."""
    access.require_member()
    discussion = locks.lock_discussion(discussion_id)
    if discussion.is_locked:
        raise Conflict("This discussion is locked.", code=CommunityError.DISCUSSION_LOCKED)
    parent = None
    if parent_id is not None:
        parent = DiscussionReply.objects.filter(pk=parent_id, discussion_id=discussion.pk).first()
        if parent is None or (
            parent.visibility != Visibility.VISIBLE and parent.author_id != author.pk
        ):
            raise Invalid(
                "The parent must be a reply of the same discussion.",
                code=CommunityError.INVALID_PARENT,
            )
    reply = DiscussionReply.objects.create(
        discussion=discussion, author=author, parent=parent, body=body
    )
    now = timezone.now()
    Discussion.objects.filter(pk=discussion.pk).update(
        reply_count=F("reply_count") + 1, last_activity_at=now, updated_at=now
    )
    refresh_discussion_search(discussion_id=discussion.pk)
    data = {
        "kind": "discussion_reply",
        "discussion_id": str(discussion.pk),
        "reply_id": str(reply.pk),
        "course_id": str(discussion.course_id),
    }
    told = {author.pk}
    if discussion.author_id not in told:
        _notify(
            user_id=discussion.author_id,
            title=f"New reply to {_excerpt(discussion.title)}",
            body=_excerpt(body, 300),
            data=data,
        )
        told.add(discussion.author_id)
    if parent is not None and parent.author_id not in told:
        _notify(
            user_id=parent.author_id,
            title=f"New reply to your answer in {_excerpt(discussion.title)}",
            body=_excerpt(body, 300),
            data=data,
        )
    return reply


def _recount_upvotes(reply: DiscussionReply) -> DiscussionReply:
    reply.upvote_count = ReplyUpvote.objects.filter(reply_id=reply.pk).count()
    reply.save(update_fields=["upvote_count", "updated_at"])
    return reply


@transaction.atomic
def upvote_reply(*, reply_id: Any, access: CourseAccess, by: Any) -> DiscussionReply:
    """Upvote a reply (members only; once per user; not one's own: 400 `own_item`)."""
    access.require_member()
    reply = locks.lock_reply(reply_id)
    if reply.author_id == by.pk:
        raise Invalid("You cannot upvote your own reply.", code=CommunityError.OWN_ITEM)
    ReplyUpvote.objects.get_or_create(reply_id=reply.pk, user_id=by.pk)
    return _recount_upvotes(reply)


@transaction.atomic
def remove_reply_upvote(*, reply_id: Any, by: Any) -> DiscussionReply:
    reply = locks.lock_reply(reply_id)
    ReplyUpvote.objects.filter(reply_id=reply.pk, user_id=by.pk).delete()
    return _recount_upvotes(reply)


@transaction.atomic
def accept_answer(
    *, discussion_id: Any, access: CourseAccess, by: Any, reply_id: Any
) -> Discussion:
    """The question's author or a course instructor accepts one visible reply of that
    question as its answer; the question becomes resolved and the reply's author is
    notified. 403 for anyone else, 409 `not_a_question` on a discussion, 400
    `invalid_answer` for a reply of another discussion."""
    discussion = locks.lock_discussion(discussion_id)
    if discussion.author_id != by.pk and not access.can_moderate:
        raise PermissionDenied("Only the question's author or an instructor can accept an answer.")
    if discussion.kind != DiscussionKind.QUESTION:
        raise Conflict(
            "Only a question has an accepted answer.", code=CommunityError.NOT_A_QUESTION
        )
    reply = DiscussionReply.objects.filter(
        pk=reply_id, discussion_id=discussion.pk, visibility=Visibility.VISIBLE
    ).first()
    if reply is None:
        raise Invalid(
            "The answer must be a reply of this question.", code=CommunityError.INVALID_ANSWER
        )
    changed = discussion.accepted_reply_id != reply.pk
    discussion.accepted_reply = reply
    discussion.is_resolved = True
    discussion.save(update_fields=["accepted_reply", "is_resolved", "updated_at"])
    if changed and reply.author_id != by.pk:
        _notify(
            user_id=reply.author_id,
            title=f"Your answer was accepted in {_excerpt(discussion.title)}",
            body=_excerpt(reply.body, 300),
            data={
                "kind": "answer_accepted",
                "discussion_id": str(discussion.pk),
                "reply_id": str(reply.pk),
                "course_id": str(discussion.course_id),
            },
        )
    return discussion


@transaction.atomic
def withdraw_accepted_answer(*, discussion_id: Any, access: CourseAccess, by: Any) -> Discussion:
    """Clear the accepted answer (the question stays as resolved as it is)."""
    discussion = locks.lock_discussion(discussion_id)
    if discussion.author_id != by.pk and not access.can_moderate:
        raise PermissionDenied("Only the question's author or an instructor can do this.")
    discussion.accepted_reply = None
    discussion.save(update_fields=["accepted_reply", "updated_at"])
    return discussion


@transaction.atomic
def move_discussion_flag(
    *, discussion_id: Any, access: CourseAccess, by: Any, move: str, request: AnyRequest = None
) -> Discussion:
    """pin/unpin, lock/unlock, resolve/unresolve by the course's instructors and staff (403
    otherwise; 409 `invalid_discussion_state` when already so); audited (states.py)."""
    if not access.can_moderate:
        raise PermissionDenied("Only the course's instructors and staff can do this.")
    discussion = locks.lock_discussion(discussion_id)
    field = apply_flag_move(discussion, move, actor=by, request=request)
    discussion.save(update_fields=[field, "updated_at"])
    return discussion


# --- reports and moderation ----------------------------------------------------------------------


def _author_id(kind: str, item: Any) -> Any:
    return getattr(item, f"{ITEM_AUTHOR_FIELD[kind]}_id")


@transaction.atomic
def report_item(
    *, kind: str, item: Any, access: CourseAccess, by: Any, reason: str, detail: str = ""
) -> Report:
    """A user's report of an item they can see: once per user and item (409
    `already_reported`), never of their own (400 `own_item`)."""
    if _author_id(kind, item) == by.pk:
        raise Invalid("You cannot report what you wrote.", code=CommunityError.OWN_ITEM)
    already = Conflict("You have reported this already.", code=CommunityError.ALREADY_REPORTED)
    if Report.objects.filter(reporter_id=by.pk, kind=kind, item_id=item.pk).exists():
        raise already
    try:
        with transaction.atomic():
            return Report.objects.create(
                reporter=by,
                kind=kind,
                item_id=item.pk,
                course_id=access.course_id,
                reason=reason,
                detail=detail,
            )
    except IntegrityError as error:
        raise already from error


ITEM_MISSING = (
    Review.DoesNotExist,
    LessonComment.DoesNotExist,
    Discussion.DoesNotExist,
    DiscussionReply.DoesNotExist,
)


def _lock_item(kind: str, item_id: Any) -> Any:
    """The item under moderation with the locks its kind needs, in the documented order."""
    if kind == ItemKind.REVIEW:
        return locks.lock_course_and_review(item_id)[1]
    if kind == ItemKind.COMMENT:
        return locks.lock_comment(item_id)
    if kind == ItemKind.DISCUSSION:
        return locks.lock_discussion(item_id)
    discussion_id = DiscussionReply.objects.values_list("discussion_id", flat=True).get(pk=item_id)
    locks.lock_discussion(discussion_id)
    return locks.lock_reply(item_id)


def _resolve_reports(*, kind: str, item_id: Any, by: Any, decision: str) -> int:
    reports = locks.lock_open_reports(kind=kind, item_id=item_id)
    if reports:
        Report.objects.filter(pk__in=[report.pk for report in reports]).update(
            status=ReportStatus.RESOLVED,
            decision=decision,
            resolved_by=by,
            resolved_at=timezone.now(),
            updated_at=timezone.now(),
        )
    return len(reports)


def _after_visibility_change(kind: str, item: Any) -> None:
    if kind == ItemKind.REVIEW:
        refresh_course_rating(course_id=item.course_id)
    elif kind == ItemKind.REPLY:
        visible = DiscussionReply.objects.filter(
            discussion_id=item.discussion_id, visibility=Visibility.VISIBLE
        ).count()
        Discussion.objects.filter(pk=item.discussion_id).update(reply_count=visible)
        refresh_discussion_search(discussion_id=item.discussion_id)


@dataclass(frozen=True, slots=True)
class ModerationDecision:
    """What a hide or restore did: the item's new visibility and the reports it resolved."""

    kind: str
    item_id: Any
    visibility: str | None  # None: the item is gone
    reports_resolved: int


@transaction.atomic
def set_item_visibility(
    *, kind: str, item_id: Any, by: Any, visible: bool, request: AnyRequest = None
) -> ModerationDecision:
    """Staff hide an item (everyone but its author and staff stop seeing it; a hidden review
    leaves the course's rating) or restore it; the item's open reports are resolved with
    the decision. 409 `invalid_moderation_state` when it is already so; audited."""
    try:
        item = _lock_item(kind, item_id)
    except ITEM_MISSING as error:
        raise NotFound("Item not found.") from error
    target = Visibility.VISIBLE if visible else Visibility.HIDDEN
    VISIBILITY.check(item.visibility, target)
    resolved = _resolve_reports(
        kind=kind,
        item_id=item.pk,
        by=by,
        decision=ReportDecision.RESTORED if visible else ReportDecision.HIDDEN,
    )
    VISIBILITY.apply(
        item, target, actor=by, request=request, data={"kind": kind, "reports_resolved": resolved}
    )
    item.save(update_fields=["visibility", "updated_at"])
    _after_visibility_change(kind, item)
    if not visible:
        _notify(
            user_id=_author_id(kind, item),
            title="A moderator hid something you wrote",
            body="It breaks the community rules. Contact support if you think this is wrong.",
            data={"kind": f"{kind}_hidden", "item_id": str(item.pk)},
        )
    return ModerationDecision(
        kind=kind, item_id=item.pk, visibility=item.visibility, reports_resolved=resolved
    )


@transaction.atomic
def dismiss_reports(
    *, kind: str, item_id: Any, by: Any, request: AnyRequest = None
) -> ModerationDecision:
    """Staff keep a reported item as it is: its open reports are resolved as dismissed
    (409 `no_open_reports` when there are none); audited. Reports of an item that is gone
    (its lesson deleted, say) are dismissed the same way (`visibility` None); an unknown
    item without open reports is 404."""
    try:
        item = _lock_item(kind, item_id)
    except ITEM_MISSING:
        item = None
    count = _resolve_reports(kind=kind, item_id=item_id, by=by, decision=ReportDecision.DISMISSED)
    if not count:
        if item is None:
            raise NotFound("Item not found.")
        raise Conflict("This item has no open reports.", code=CommunityError.NO_OPEN_REPORTS)
    record(
        action=AuditAction.COMMUNITY_REPORTS_DISMISSED,
        actor=by,
        target=item,
        request=request,
        data={"kind": kind, "item_id": str(item_id), "reports": count},
    )
    return ModerationDecision(
        kind=kind,
        item_id=item_id,
        visibility=item.visibility if item is not None else None,
        reports_resolved=count,
    )
