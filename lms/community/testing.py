"""Community invariants for tests: every counter equals what it counts.

`assert_community_consistent()` runs after every community test (tests/conftest.py):
- a course's review_count is the number of its visible reviews and its rating their mean
  (two decimals, half up; 0 without reviews);
- a review's helpful_count is its votes, a reply's upvote_count its upvotes, a discussion's
  reply_count its visible replies;
- an accepted answer is a reply of its own discussion;
- a comment's parent is a comment of the same lesson, a reply's parent a reply of the same
  discussion.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum

from lms.catalog.models import Course

from .models import Discussion, DiscussionReply, LessonComment, Review, Visibility


def assert_course_figures() -> None:
    visible = Q(reviews__visibility=Visibility.VISIBLE)
    rows = Course.objects.annotate(
        counted=Count("reviews", filter=visible), total=Sum("reviews__rating", filter=visible)
    ).values_list("pk", "rating", "review_count", "counted", "total")
    for course_id, rating, review_count, counted, total in rows:
        expected = (
            float((Decimal(total) / counted).quantize(Decimal("0.01"), ROUND_HALF_UP))
            if counted
            else 0.0
        )
        assert (review_count, rating) == (counted, expected), (
            f"Course {course_id}: rating {rating} over {review_count} reviews; "
            f"its visible reviews say {expected} over {counted}"
        )


def assert_counters() -> None:
    reviews = Review.objects.annotate(votes_counted=Count("votes")).exclude(
        helpful_count=F("votes_counted")
    )
    assert not reviews.exists(), f"helpful_count differs from votes: {list(reviews)}"
    replies = DiscussionReply.objects.annotate(counted=Count("upvotes")).exclude(
        upvote_count=F("counted")
    )
    assert not replies.exists(), f"upvote_count differs from upvotes: {list(replies)}"
    discussions = Discussion.objects.annotate(
        counted=Count("replies", filter=Q(replies__visibility=Visibility.VISIBLE))
    ).exclude(reply_count=F("counted"))
    assert not discussions.exists(), f"reply_count differs from replies: {list(discussions)}"


def assert_links() -> None:
    foreign_answers = Discussion.objects.filter(accepted_reply__isnull=False).exclude(
        accepted_reply__discussion_id=F("pk")
    )
    assert not foreign_answers.exists(), "an accepted answer belongs to another discussion"
    comments = LessonComment.objects.filter(parent__isnull=False).exclude(
        parent__lesson_id=F("lesson_id")
    )
    assert not comments.exists(), "a comment answers a comment of another lesson"
    replies = DiscussionReply.objects.filter(parent__isnull=False).exclude(
        parent__discussion_id=F("discussion_id")
    )
    assert not replies.exists(), "a reply answers a reply of another discussion"


def assert_community_consistent() -> None:
    assert_course_figures()
    assert_counters()
    assert_links()
