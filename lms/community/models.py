"""Community data: course reviews, lesson comments, course discussions (Q&A) and reports.

Workflows (counters, the course rating, moderation, pin/lock/resolve) live in `services.py`;
this module states the data and the invariants the database enforces:

- one review per student and course, a rating of 1 to 5, one instructor reply per review;
- one helpful vote per user and review, one upvote per user and reply, one report per user
  and item;
- every counter (helpful_count, upvote_count, reply_count) is never negative;
- a reply's parent, a comment's parent and a discussion's accepted answer are rows of the
  same discussion / lesson (checked by the services, which hold the parent's lock).

Text is stored as the user typed it (HTML included, as text): every answer is JSON and the
admin escapes what it shows, so nothing the backend serves renders it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lms.catalog.models import Course, Lesson
from lms.core.models import BaseModel

MAX_BODY_LENGTH = 10_000
MAX_TITLE_LENGTH = 200
MAX_REPORT_DETAIL_LENGTH = 2_000


class Visibility(models.TextChoices):
    """Moderation state of every item users write (reviews, comments, discussions, replies)."""

    VISIBLE = "visible", "Visible"
    HIDDEN = "hidden", "Hidden by staff"


class Review(BaseModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reviews")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_reviews"
    )
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=MAX_BODY_LENGTH)
    helpful_count = models.PositiveIntegerField(default=0)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "student"], name="community_one_review_per_student"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="community_review_rating_1_5"
            ),
            models.CheckConstraint(
                condition=Q(helpful_count__gte=0), name="community_review_helpful_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["course", "-created_at", "-id"], name="review_course_newest_idx"),
            models.Index(
                fields=["course", "-helpful_count", "-created_at"], name="review_course_helpful_idx"
            ),
            models.Index(
                fields=["course", "-rating", "-created_at"], name="review_course_rating_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on {self.course_id} by {self.student_id}"


class ReviewVote(BaseModel):
    """A "helpful" vote: one per user and review, never on one's own review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_votes"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="community_one_vote_per_user")
        ]


class ReviewReply(BaseModel):
    """The course instructor's public answer to a review: one per review."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="reply")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_replies"
    )
    body = models.TextField(max_length=MAX_BODY_LENGTH)

    def __str__(self) -> str:
        return f"Reply to {self.review_id}"


class LessonComment(BaseModel):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="comments")
    # Repeats lesson.course, so access and moderation need no join.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lesson_comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    body = models.TextField(max_length=MAX_BODY_LENGTH)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    # A deleted comment keeps its place in the thread (its replies stay) without its text.
    deleted_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lesson", "created_at", "id"], name="comment_lesson_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="community_comment_not_own_parent"
            )
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on lesson {self.lesson_id}"


class DiscussionKind(models.TextChoices):
    DISCUSSION = "discussion", "Discussion"
    QUESTION = "question", "Question"


class Discussion(BaseModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="discussions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discussions"
    )
    kind = models.CharField(
        max_length=12, choices=DiscussionKind.choices, default=DiscussionKind.DISCUSSION
    )
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    body = models.TextField(max_length=MAX_BODY_LENGTH)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    is_resolved = models.BooleanField(default=False)
    accepted_reply = models.ForeignKey(
        "DiscussionReply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(default=timezone.now)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    # Weighted full-text document: title A, body B, replies C (PostgreSQL only; GIN index in
    # migration 0002). Kept by services.refresh_discussion_search.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-is_pinned", "-last_activity_at", "-id"]
        indexes = [
            models.Index(
                fields=["course", "-is_pinned", "-last_activity_at", "-id"],
                name="discussion_course_list_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_reply__isnull=True) | Q(kind=DiscussionKind.QUESTION),
                name="community_only_questions_accept",
            )
        ]

    def __str__(self) -> str:
        return self.title


class DiscussionReply(BaseModel):
    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discussion_replies"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    body = models.TextField(max_length=MAX_BODY_LENGTH)
    upvote_count = models.PositiveIntegerField(default=0)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["discussion", "created_at", "id"], name="reply_discussion_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(upvote_count__gte=0), name="community_reply_upvotes_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="community_reply_not_own_parent"
            ),
        ]
        verbose_name_plural = "discussion replies"

    def __str__(self) -> str:
        return f"Reply {self.pk} in {self.discussion_id}"


class ReplyUpvote(BaseModel):
    reply = models.ForeignKey(DiscussionReply, on_delete=models.CASCADE, related_name="upvotes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reply_upvotes"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reply", "user"], name="community_one_upvote_per_user")
        ]


class ItemKind(models.TextChoices):
    """What a report or a moderation decision is about (`{kind}` in the moderation paths)."""

    REVIEW = "review", "Review"
    COMMENT = "comment", "Lesson comment"
    DISCUSSION = "discussion", "Discussion"
    REPLY = "reply", "Discussion reply"


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam"
    ABUSE = "abuse", "Abuse"
    OFF_TOPIC = "off_topic", "Off topic"
    OTHER = "other", "Other"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class ReportDecision(models.TextChoices):
    HIDDEN = "hidden", "Item hidden"
    RESTORED = "restored", "Item restored"
    DISMISSED = "dismissed", "Dismissed (item kept)"


class Report(BaseModel):
    """A user's report of an item; staff resolve every open report of an item at once."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_reports"
    )
    kind = models.CharField(max_length=12, choices=ItemKind.choices)
    item_id = models.UUIDField()
    # The item's course, for the queue's context (every kind belongs to one course).
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=ReportReason.choices)
    detail = models.TextField(blank=True, max_length=MAX_REPORT_DETAIL_LENGTH)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    decision = models.CharField(max_length=10, choices=ReportDecision.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "kind", "item_id"], name="community_one_report_per_item"
            ),
            models.CheckConstraint(
                condition=(Q(status=ReportStatus.OPEN) & Q(decision=""))
                | (Q(status=ReportStatus.RESOLVED) & ~Q(decision="")),
                name="community_report_decision_when_resolved",
            ),
        ]
        indexes = [
            models.Index(
                fields=["kind", "item_id"],
                name="report_open_item_idx",
                condition=Q(status=ReportStatus.OPEN),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} report of {self.kind} {self.item_id}"
