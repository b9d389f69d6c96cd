"""Community reads: who the caller is to a course, and the lists and items they may see.

Visibility: a hidden item (reviews, comments, discussions, replies) is seen only by its
author and platform staff; anyone else gets 404 for it and does not find it in a list.
Reviews of a course are public wherever the course is visible; comments and discussions
are for the course's members (enrolled students, its instructors) and platform staff.

Every list runs a fixed number of queries whatever the page size: the course (or lesson)
and the caller's relation to it (3 queries), then the page's count and its rows with their
authors joined and the caller's votes as an `Exists` column.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from lms.catalog.filters import SEARCH_CONFIG
from lms.catalog.models import Course, Lesson
from lms.catalog.permissions import can_see_course
from lms.catalog.selectors import course_ref_filter
from lms.core.errors import NotFound, PermissionDenied
from lms.core.permissions import is_staff_member
from lms.learning import selectors as learning

from .errors import CommunityError
from .models import (
    Discussion,
    DiscussionReply,
    ItemKind,
    LessonComment,
    ReplyUpvote,
    Report,
    ReportReason,
    ReportStatus,
    Review,
    ReviewVote,
    Visibility,
)

# --- the caller and the course -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseAccess:
    """A course the caller may see, and what the caller is to it."""

    course_id: uuid.UUID
    title: str
    instructor_id: uuid.UUID
    instructor_ids: frozenset[uuid.UUID]  # the owner and the co-instructors
    user_id: uuid.UUID | None  # None for anonymous callers
    enrolled: bool  # an enrollment that gives access (active or completed)
    is_instructor: bool
    is_staff: bool  # admin or manager

    @property
    def is_member(self) -> bool:
        """Enrolled students and the course's instructors: who writes comments and posts."""
        return self.enrolled or self.is_instructor

    @property
    def can_read_member_content(self) -> bool:
        """Members and platform staff read comments and discussions."""
        return self.is_member or self.is_staff

    @property
    def can_moderate(self) -> bool:
        """The course's instructors and platform staff pin, lock and resolve discussions and
        remove lesson comments."""
        return self.is_instructor or self.is_staff

    def require_member_read(self) -> None:
        if not self.can_read_member_content:
            raise PermissionDenied(
                "Enroll in the course to read its discussions.", code=CommunityError.NOT_ENROLLED
            )

    def require_member(self) -> None:
        if not self.is_member:
            raise PermissionDenied(
                "Only enrolled students and the course's instructors can post here.",
                code=CommunityError.NOT_ENROLLED,
            )


def course_access(*, user: Any, ref: Any) -> CourseAccess:
    """The course by id or slug as the caller may see it, or 404 (3 queries signed in)."""
    row = (
        Course.objects.filter(course_ref_filter(ref))
        .values("id", "title", "status", "instructor_id")
        .first()
    )
    if row is None:
        raise NotFound("Course not found.")
    return _access(user=user, row=row)


def _access(*, user: Any, row: Mapping[str, Any]) -> CourseAccess:
    course_id = row["id"]
    co_ids = frozenset(
        Course.co_instructors.through.objects.filter(course_id=course_id).values_list(
            "user_id", flat=True
        )
    )
    signed_in = bool(getattr(user, "is_authenticated", False))
    enrolled = signed_in and bool(learning.enrolled_course_ids_for(user, [course_id]))
    if not can_see_course(
        user,
        status=row["status"],
        instructor_id=row["instructor_id"],
        co_instructor_ids=co_ids,
        enrolled=enrolled,
    ):
        raise NotFound("Course not found.")
    instructor_ids = frozenset({row["instructor_id"], *co_ids})
    return CourseAccess(
        course_id=course_id,
        title=row["title"],
        instructor_id=row["instructor_id"],
        instructor_ids=instructor_ids,
        user_id=user.pk if signed_in else None,
        enrolled=enrolled,
        is_instructor=signed_in and user.pk in instructor_ids,
        is_staff=is_staff_member(user),
    )


def course_access_by_id(*, user: Any, course_id: Any) -> CourseAccess:
    return course_access(user=user, ref=course_id)


def _seen_by(access: CourseAccess, author_field: str) -> Q:
    """Rows the caller may see: visible ones, their own, every one for staff."""
    if access.is_staff:
        return Q()
    seen = Q(visibility=Visibility.VISIBLE)
    if access.user_id is not None:
        seen |= Q(**{author_field: access.user_id})
    return seen


def _may_see(access: CourseAccess, *, visibility: str, author_id: Any) -> bool:
    return (
        visibility == Visibility.VISIBLE
        or access.is_staff
        or (access.user_id is not None and access.user_id == author_id)
    )


def _mine(model: type[Any], field: str, user_id: Any) -> Any:
    """`Exists` of the caller's row in `model` (a vote, an upvote) for each listed item."""
    if user_id is None:
        return Value(False, output_field=BooleanField())
    return Exists(model.objects.filter(**{field: OuterRef("pk")}, user_id=user_id))


# --- reviews -------------------------------------------------------------------------------------

REVIEW_ORDERINGS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "helpful": ("-helpful_count", "-created_at", "-id"),
    "rating_high": ("-rating", "-created_at", "-id"),
    "rating_low": ("rating", "-created_at", "-id"),
}
REVIEW_ORDERING_ALIASES = {
    "-created_at": "newest",
    "created_at": "oldest",
    "most_helpful": "helpful",
    "-helpful_count": "helpful",
    "rating": "rating_high",
    "-rating": "rating_high",
    "highest_rating": "rating_high",
    "lowest_rating": "rating_low",
}
REVIEW_ORDERING_CHOICES = [*REVIEW_ORDERINGS, *REVIEW_ORDERING_ALIASES]


def _reviews(user_id: Any) -> QuerySet[Review]:
    return Review.objects.select_related("student", "reply", "reply__author").annotate(
        voted=_mine(ReviewVote, "review", user_id)
    )


def reviews_of(
    *, access: CourseAccess, ordering: str = "newest", rating: int | None = None
) -> QuerySet[Review]:
    """A course's reviews the caller may see, in one of REVIEW_ORDERING_CHOICES (one query
    per page, plus the count)."""
    key = REVIEW_ORDERING_ALIASES.get(ordering, ordering)
    queryset = _reviews(access.user_id).filter(
        _seen_by(access, "student_id"), course_id=access.course_id
    )
    if rating is not None:
        queryset = queryset.filter(rating=rating)
    return queryset.order_by(*REVIEW_ORDERINGS[key])


def review_for_user(*, user: Any, review_id: Any) -> tuple[Review, CourseAccess]:
    """A review the caller may see (and its course's access), or 404."""
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    review = _reviews(user_id).filter(pk=review_id).first()
    if review is None:
        raise NotFound("Review not found.")
    access = course_access(user=user, ref=review.course_id)
    if not _may_see(access, visibility=review.visibility, author_id=review.student_id):
        raise NotFound("Review not found.")
    return review, access


def review_with_votes(*, review_id: Any, user_id: Any) -> Review:
    """A review as its answer shows it after a write (1 query)."""
    return _reviews(user_id).get(pk=review_id)


# --- lesson comments -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LessonRef:
    id: uuid.UUID
    course_id: uuid.UUID
    title: str


def lesson_access(*, user: Any, lesson_id: Any) -> tuple[LessonRef, CourseAccess]:
    """A lesson of a course the caller may see, or 404 (4 queries)."""
    row = (
        Lesson.objects.filter(pk=lesson_id)
        .values(
            "id", "title", "course_id", "course__title", "course__status", "course__instructor_id"
        )
        .first()
    )
    if row is None:
        raise NotFound("Lesson not found.")
    access = _access(
        user=user,
        row={
            "id": row["course_id"],
            "title": row["course__title"],
            "status": row["course__status"],
            "instructor_id": row["course__instructor_id"],
        },
    )
    return LessonRef(id=row["id"], course_id=row["course_id"], title=row["title"]), access


def _comments() -> QuerySet[LessonComment]:
    return LessonComment.objects.select_related("author")


def comments_of(*, lesson: LessonRef, access: CourseAccess) -> QuerySet[LessonComment]:
    """A lesson's comments, oldest first, flat with `parent_id` (the client nests them)."""
    return (
        _comments()
        .filter(_seen_by(access, "author_id"), lesson_id=lesson.id)
        .order_by("created_at", "id")
    )


def comment_for_user(*, user: Any, comment_id: Any) -> tuple[LessonComment, CourseAccess]:
    """A comment the caller may see (a member of its course, or staff), or 404."""
    comment = _comments().filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("Comment not found.")
    access = course_access(user=user, ref=comment.course_id)
    if not access.can_read_member_content or not _may_see(
        access, visibility=comment.visibility, author_id=comment.author_id
    ):
        raise NotFound("Comment not found.")
    return comment, access


# --- discussions ---------------------------------------------------------------------------------


def _discussions() -> QuerySet[Discussion]:
    return Discussion.objects.select_related("author").defer("search_vector")


def search_discussions(queryset: QuerySet[Discussion], term: str) -> QuerySet[Discussion]:
    """Ranked full-text search as the catalog's (lms/catalog/filters.py: search_courses): a
    websearch query on the stored, weighted vector with its GIN index on PostgreSQL, ordered
    by rank; `icontains` on title and body elsewhere (SQLite fallback), newest first."""
    term = term.strip()
    if not term:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(term, config=SEARCH_CONFIG, search_type="websearch")
        return (
            queryset.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-last_activity_at", "-id")
        )
    return queryset.filter(Q(title__icontains=term) | Q(body__icontains=term)).order_by(
        "-last_activity_at", "-id"
    )


class DiscussionList:
    """A course's discussions to paginate (count, then one page: two queries).

    The count and the choice of a page's rows run on the discussion table alone; the page's
    rows are then read with their authors joined. As in the catalog's search
    (`lms.catalog.selectors.CourseItems`, docs/catalog.md "Search"): ranking every match of
    a broad term with the author join and the wide rows (bodies) carried into the sort costs
    several times more than ranking ids and joining twenty.
    """

    def __init__(self, matches: QuerySet[Discussion]) -> None:
        self.matches = matches

    def count(self) -> int:
        return self.matches.order_by().count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[Discussion]:
        page = self.matches.values("pk")[key]
        rows = self.matches.filter(pk__in=page).select_related("author").defer("search_vector")
        return list(rows)


def discussions_of(
    *,
    access: CourseAccess,
    kind: str | None = None,
    resolved: bool | None = None,
    search: str = "",
) -> DiscussionList:
    """A course's discussions: pinned first, then by last activity; ranked when searching."""
    queryset = Discussion.objects.filter(
        _seen_by(access, "author_id"), course_id=access.course_id
    ).order_by("-is_pinned", "-last_activity_at", "-id")
    if kind:
        queryset = queryset.filter(kind=kind)
    if resolved is not None:
        queryset = queryset.filter(is_resolved=resolved)
    return DiscussionList(search_discussions(queryset, search))


def discussion_for_user(*, user: Any, discussion_id: Any) -> tuple[Discussion, CourseAccess]:
    """A discussion the caller may read (member of its course or staff; hidden ones only its
    author and staff), with its accepted answer, or 404 / 403 `not_enrolled`."""
    discussion = (
        _discussions()
        .select_related("accepted_reply", "accepted_reply__author")
        .filter(pk=discussion_id)
        .first()
    )
    if discussion is None:
        raise NotFound("Discussion not found.")
    access = course_access(user=user, ref=discussion.course_id)
    access.require_member_read()
    if not _may_see(access, visibility=discussion.visibility, author_id=discussion.author_id):
        raise NotFound("Discussion not found.")
    accepted = discussion.accepted_reply
    if accepted is not None and not _may_see(
        access, visibility=accepted.visibility, author_id=accepted.author_id
    ):
        discussion.accepted_reply = None  # a hidden answer is not shown (nor its id)
    return discussion, access


def _replies(*, user_id: Any, accepted_id: Any) -> QuerySet[DiscussionReply]:
    return DiscussionReply.objects.select_related("author").annotate(
        upvoted=_mine(ReplyUpvote, "reply", user_id),
        is_accepted=Case(
            When(pk=accepted_id, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        if accepted_id is not None
        else Value(False, output_field=BooleanField()),
    )


def replies_of(*, discussion: Discussion, access: CourseAccess) -> QuerySet[DiscussionReply]:
    """A discussion's replies, oldest first, flat with `parent_id`."""
    return (
        _replies(user_id=access.user_id, accepted_id=discussion.accepted_reply_id)
        .filter(_seen_by(access, "author_id"), discussion_id=discussion.pk)
        .order_by("created_at", "id")
    )


def reply_for_user(*, user: Any, reply_id: Any) -> tuple[DiscussionReply, CourseAccess]:
    """A reply the caller may see, in a discussion they may read, or 404."""
    reply = DiscussionReply.objects.select_related("discussion").filter(pk=reply_id).first()
    if reply is None:
        raise NotFound("Reply not found.")
    discussion = reply.discussion
    access = course_access(user=user, ref=discussion.course_id)
    if not access.can_read_member_content or not (
        _may_see(access, visibility=reply.visibility, author_id=reply.author_id)
        and _may_see(access, visibility=discussion.visibility, author_id=discussion.author_id)
    ):
        raise NotFound("Reply not found.")
    return reply, access


def reply_with_votes(*, reply_id: Any, user_id: Any) -> DiscussionReply:
    accepted_id = (
        Discussion.objects.filter(replies=reply_id)
        .values_list("accepted_reply_id", flat=True)
        .first()
    )
    return _replies(user_id=user_id, accepted_id=accepted_id).get(pk=reply_id)


# --- moderation ----------------------------------------------------------------------------------


def item_for_user(*, user: Any, kind: str, item_id: Any) -> tuple[Any, CourseAccess]:
    """Any reportable item the caller may see, by kind, or 404."""
    if kind == ItemKind.REVIEW:
        return review_for_user(user=user, review_id=item_id)
    if kind == ItemKind.COMMENT:
        return comment_for_user(user=user, comment_id=item_id)
    if kind == ItemKind.DISCUSSION:
        return discussion_for_user(user=user, discussion_id=item_id)
    return reply_for_user(user=user, reply_id=item_id)


ITEM_MODELS: dict[str, type[Any]] = {
    ItemKind.REVIEW: Review,
    ItemKind.COMMENT: LessonComment,
    ItemKind.DISCUSSION: Discussion,
    ItemKind.REPLY: DiscussionReply,
}
ITEM_AUTHOR_FIELD: dict[str, str] = {
    ItemKind.REVIEW: "student",
    ItemKind.COMMENT: "author",
    ItemKind.DISCUSSION: "author",
    ItemKind.REPLY: "author",
}
ITEM_TEXT_FIELD: dict[str, str] = {
    ItemKind.REVIEW: "comment",
    ItemKind.COMMENT: "body",
    ItemKind.DISCUSSION: "body",
    ItemKind.REPLY: "body",
}


@dataclass(frozen=True, slots=True)
class ReportedItem:
    """One row of the moderation queue: an item with open reports, and what they say."""

    kind: str
    item_id: uuid.UUID
    course_id: uuid.UUID
    report_count: int
    reasons: dict[str, int]  # every ReportReason with its count among the open reports
    first_reported_at: Any
    last_reported_at: Any
    visibility: str | None  # None when the item is gone
    author: Any  # the item's author (a User), None when the item is gone
    excerpt: str  # the item's text, at most 200 characters


def open_report_groups() -> QuerySet[Any]:
    """Items with open reports, oldest first report first, with their counts (one row per
    item; the page's rows become ReportedItems through `reported_items`)."""
    by_reason = {
        f"reason_{reason}": Count("id", filter=Q(reason=reason)) for reason in ReportReason.values
    }
    return (
        Report.objects.filter(status=ReportStatus.OPEN)
        .values("kind", "item_id", "course_id")
        .annotate(
            report_count=Count("id"),
            first_reported_at=Min("created_at"),
            last_reported_at=Max("created_at"),
            **by_reason,
        )
        .order_by("first_reported_at", "kind", "item_id")
    )


def reported_items(groups: list[dict[str, Any]]) -> list[ReportedItem]:
    """The page's groups with their items: one query per kind present (at most four)."""
    wanted: dict[str, list[Any]] = {}
    for group in groups:
        wanted.setdefault(group["kind"], []).append(group["item_id"])
    found: dict[tuple[str, Any], Any] = {}
    for kind, ids in wanted.items():
        rows = ITEM_MODELS[kind].objects.filter(pk__in=ids).select_related(ITEM_AUTHOR_FIELD[kind])
        for item in rows:
            found[(kind, item.pk)] = item
    items = []
    for group in groups:
        kind = group["kind"]
        item = found.get((kind, group["item_id"]))
        text = ""
        if item is not None:
            text = getattr(item, ITEM_TEXT_FIELD[kind]) or ""
            if kind == ItemKind.DISCUSSION:
                text = f"{item.title}: {text}"
        items.append(
            ReportedItem(
                kind=kind,
                item_id=group["item_id"],
                course_id=group["course_id"],
                report_count=group["report_count"],
                reasons={reason: group[f"reason_{reason}"] for reason in ReportReason.values},
                first_reported_at=group["first_reported_at"],
                last_reported_at=group["last_reported_at"],
                visibility=item.visibility if item is not None else None,
                author=getattr(item, ITEM_AUTHOR_FIELD[kind]) if item is not None else None,
                excerpt=text[:200],
            )
        )
    return items
