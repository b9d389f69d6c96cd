"""Community's part of a person's export and deletion (lms.accounts.personal_data).

Deletion keeps the community's figures and threads whole: a review keeps its rating (the
course's rating does not move) and every item keeps its place, while the text the person
wrote goes. Their name then shows as accounts' placeholder ("Deleted user"), since accounts
anonymises the user row itself after the erasers ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from lms.accounts.personal_data import ExportDocument

from .models import (
    Discussion,
    DiscussionReply,
    LessonComment,
    ReplyUpvote,
    Report,
    Review,
    ReviewReply,
    ReviewVote,
)

ERASED_TEXT = "[deleted]"


def export(user: Any) -> Iterable[ExportDocument]:
    """`community/*.json`: the person's reviews (with the instructor's reply), the replies they
    wrote to reviews, their lesson comments, discussions, discussion replies, helpful votes,
    upvotes and reports, oldest first."""
    yield ExportDocument(
        path="community/reviews.json",
        data=list(
            Review.objects.filter(student=user)
            .order_by("created_at")
            .values(
                "id",
                "course_id",
                "rating",
                "comment",
                "helpful_count",
                "visibility",
                "created_at",
                "updated_at",
                "reply__body",
            )
        ),
    )
    yield ExportDocument(
        path="community/review_replies.json",
        data=list(
            ReviewReply.objects.filter(author=user)
            .order_by("created_at")
            .values("id", "review_id", "body", "created_at")
        ),
    )
    yield ExportDocument(
        path="community/lesson_comments.json",
        data=list(
            LessonComment.objects.filter(author=user)
            .order_by("created_at")
            .values("id", "lesson_id", "parent_id", "body", "deleted_at", "created_at")
        ),
    )
    yield ExportDocument(
        path="community/discussions.json",
        data=list(
            Discussion.objects.filter(author=user)
            .order_by("created_at")
            .values("id", "course_id", "kind", "title", "body", "created_at")
        ),
    )
    yield ExportDocument(
        path="community/discussion_replies.json",
        data=list(
            DiscussionReply.objects.filter(author=user)
            .order_by("created_at")
            .values("id", "discussion_id", "parent_id", "body", "upvote_count", "created_at")
        ),
    )
    yield ExportDocument(
        path="community/votes.json",
        data={
            "helpful_reviews": list(
                ReviewVote.objects.filter(user=user)
                .order_by("created_at")
                .values("review_id", "created_at")
            ),
            "upvoted_replies": list(
                ReplyUpvote.objects.filter(user=user)
                .order_by("created_at")
                .values("reply_id", "created_at")
            ),
        },
    )
    yield ExportDocument(
        path="community/reports.json",
        data=list(
            Report.objects.filter(reporter=user)
            .order_by("created_at")
            .values("id", "kind", "item_id", "reason", "detail", "status", "created_at")
        ),
    )


def erase(user: Any) -> None:
    """The person's text goes, their items stay in place (ratings, votes and counts too).
    Idempotent."""
    from . import services

    Review.objects.filter(student=user).exclude(comment="").update(comment="")
    ReviewReply.objects.filter(author=user).exclude(body=ERASED_TEXT).update(body=ERASED_TEXT)
    now = timezone.now()
    LessonComment.objects.filter(author=user, deleted_at__isnull=True).update(
        body="", deleted_at=now, updated_at=now
    )
    Report.objects.filter(reporter=user).exclude(detail="").update(detail="")
    touched = set(Discussion.objects.filter(author=user).values_list("pk", flat=True))
    touched |= set(
        DiscussionReply.objects.filter(author=user).values_list("discussion_id", flat=True)
    )
    Discussion.objects.filter(author=user).exclude(body=ERASED_TEXT).update(
        title=ERASED_TEXT, body=ERASED_TEXT
    )
    DiscussionReply.objects.filter(author=user).exclude(body=ERASED_TEXT).update(body=ERASED_TEXT)
    for discussion_id in sorted(touched):
        services.refresh_discussion_search(discussion_id=discussion_id)
