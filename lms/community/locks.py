"""Row locks of community, and the one order in which they are taken.

Lock order (every community service follows it, so no two flows can deadlock):

1. The course row (`catalog.Course`), only by flows that change its rating and review count:
   writing, editing, deleting, hiding or restoring a review. Its figures are recomputed from
   the visible reviews after this lock, so concurrent reviews of one course queue here and
   the last one to commit counts every review (never a lost update).
2. The item a flow acts on: a review, a discussion or a lesson comment.
3. The item below it: a discussion reply (an upvote, an accepted answer), a review's votes.
4. Report rows of one item, sorted by id (moderation decisions).
5. Last, inside `lms.catalog.services.set_review_figures` (called by
   `services.refresh_course_rating` after every lock above): the course instructor's
   profile row, whose public rating and review count catalog recounts from their courses.

A reply to a discussion locks the discussion (2) first, so a reply and a lock of the
discussion never interleave: either the reply committed before the lock, or it sees the
discussion locked and is refused (409 `discussion_locked`). Counters (helpful_count,
upvote_count, reply_count) are recounted or moved with F() under the lock of their row.
Flows of other apps never lock community rows.
"""

from __future__ import annotations

from typing import Any

from lms.catalog.models import Course

from .models import Discussion, DiscussionReply, LessonComment, Report, Review


def lock_course(course_id: Any) -> Course:
    """Step 1: the course row, for its rating and review count."""
    return Course.objects.select_for_update().only("id", "rating", "review_count").get(pk=course_id)


def lock_review(review_id: Any) -> Review:
    """Step 2: a review (after its course when the flow changes the rating)."""
    return Review.objects.select_for_update(of=("self",)).select_related("course").get(pk=review_id)


def lock_course_and_review(review_id: Any) -> tuple[Course, Review]:
    """Steps 1 and 2 for a review known by id (a review never changes course)."""
    course_id = Review.objects.values_list("course_id", flat=True).get(pk=review_id)
    return lock_course(course_id), lock_review(review_id)


def lock_discussion(discussion_id: Any) -> Discussion:
    return (
        Discussion.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=discussion_id)
    )


def lock_comment(comment_id: Any) -> LessonComment:
    return (
        LessonComment.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=comment_id)
    )


def lock_reply(reply_id: Any) -> DiscussionReply:
    """Step 3: a reply (after its discussion when the flow needs both)."""
    return DiscussionReply.objects.select_for_update(of=("self",)).get(pk=reply_id)


def lock_open_reports(*, kind: str, item_id: Any) -> list[Report]:
    """Step 4: the open reports of one item, in id order."""
    return list(
        Report.objects.select_for_update()
        .filter(kind=kind, item_id=item_id, status="open")
        .order_by("id")
    )
