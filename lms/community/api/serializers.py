"""Input validation and output shapes of the community endpoints.

Text comes in as typed (HTML included) and goes out as the same JSON string: nothing here
renders it. Bodies are 1 to 10,000 characters (400 `max_length` beyond).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.core.serializers import FileUrlField, reads_json

from ..models import (
    MAX_BODY_LENGTH,
    MAX_REPORT_DETAIL_LENGTH,
    MAX_TITLE_LENGTH,
    DiscussionKind,
    ReportReason,
)
from ..selectors import REVIEW_ORDERING_CHOICES

# --- fields --------------------------------------------------------------------------------------


RATING_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 5}


@extend_schema_field(RATING_SCHEMA)
class RatingField(serializers.Field[int, Any, int, Any]):
    """A whole number of stars, 1 to 5: a JSON integer in a body, its digits in a query
    (`?rating=4`); 0, 6, 4.5, "five", "4" in a JSON body and booleans are refused (400
    `invalid` or `min_value`/`max_value`)."""

    default_error_messages = {
        "invalid": "A rating is a whole number from 1 to 5.",
        "min_value": "A rating is at least 1.",
        "max_value": "A rating is at most 5.",
    }

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            value = data
        elif (
            isinstance(data, str)
            and not reads_json(self)
            and data.strip().isdigit()
            and data.strip().isascii()
        ):
            value = int(data.strip())
        else:
            self.fail("invalid")
        if value < 1:
            self.fail("min_value")
        if value > 5:
            self.fail("max_value")
        return value

    def to_representation(self, value: int) -> int:
        return value


def body_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=MAX_BODY_LENGTH, trim_whitespace=True, **kwargs)


# --- shared output -------------------------------------------------------------------------------


class AuthorSerializer(serializers.Serializer[Any]):
    """An author: id, display name (lms.accounts.names), avatar URL."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    avatar = FileUrlField()


# --- reviews -------------------------------------------------------------------------------------


class ReviewInputSerializer(serializers.Serializer[Any]):
    rating = RatingField()
    comment = body_field(required=False, allow_blank=True, default="")


class ReviewUpdateSerializer(serializers.Serializer[Any]):
    rating = RatingField(required=False)
    comment = body_field(required=False, allow_blank=True)


class ReviewReplyInputSerializer(serializers.Serializer[Any]):
    body = body_field()


class ReviewReplySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True)
    body = serializers.CharField(read_only=True)
    author = AuthorSerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ReviewSerializer(serializers.Serializer[Any]):
    """A review as every endpoint shows it; `voted`: the caller marked it helpful;
    `visibility` is `hidden` only for its author and staff (others never see it)."""

    id = serializers.UUIDField(read_only=True)
    course_id = serializers.UUIDField(read_only=True)
    rating = serializers.IntegerField(read_only=True)
    comment = serializers.CharField(read_only=True)
    helpful_count = serializers.IntegerField(read_only=True)
    voted = serializers.BooleanField(read_only=True, default=False)
    author = AuthorSerializer(source="student", read_only=True)
    reply = serializers.SerializerMethodField()
    visibility = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(ReviewReplySerializer(allow_null=True))
    def get_reply(self, review: Any) -> dict[str, Any] | None:
        reply = getattr(review, "reply", None)  # reverse one-to-one: missing raises
        if reply is None:
            return None
        return ReviewReplySerializer(reply, context=self.context).data


class ReviewListQuerySerializer(serializers.Serializer[Any]):
    ordering = serializers.ChoiceField(choices=REVIEW_ORDERING_CHOICES, required=False)
    rating = RatingField(required=False)


class HelpfulSerializer(serializers.Serializer[Any]):
    """A review's helpful figures for the caller (`voted`: the caller's vote stands)."""

    id = serializers.UUIDField(read_only=True)
    helpful_count = serializers.IntegerField(read_only=True)
    voted = serializers.BooleanField(read_only=True)


# --- lesson comments -----------------------------------------------------------------------------


class CommentInputSerializer(serializers.Serializer[Any]):
    body = body_field()
    # `parent` shadows Field.parent for mypy only: DRF's metaclass takes declared fields out.
    parent = serializers.UUIDField(  # type: ignore[assignment]
        required=False, allow_null=True, default=None
    )


class CommentUpdateSerializer(serializers.Serializer[Any]):
    body = body_field()


class CommentSerializer(serializers.Serializer[Any]):
    """A lesson comment; a deleted one keeps its place with an empty body and no author."""

    id = serializers.UUIDField(read_only=True)
    lesson_id = serializers.UUIDField(read_only=True)
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    body = serializers.CharField(read_only=True)
    author = serializers.SerializerMethodField()
    is_deleted = serializers.SerializerMethodField()
    visibility = serializers.CharField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(AuthorSerializer(allow_null=True))
    def get_author(self, comment: Any) -> dict[str, Any] | None:
        if comment.deleted_at is not None:
            return None
        return AuthorSerializer(comment.author, context=self.context).data

    def get_is_deleted(self, comment: Any) -> bool:
        return comment.deleted_at is not None


# --- discussions ---------------------------------------------------------------------------------


class DiscussionInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=MAX_TITLE_LENGTH)
    body = body_field()
    kind = serializers.ChoiceField(
        choices=DiscussionKind.choices, default=DiscussionKind.DISCUSSION
    )


class DiscussionListQuerySerializer(serializers.Serializer[Any]):
    search = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=DiscussionKind.choices, required=False)
    resolved = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReplyInputSerializer(serializers.Serializer[Any]):
    body = body_field()
    # `parent` shadows Field.parent for mypy only: DRF's metaclass takes declared fields out.
    parent = serializers.UUIDField(  # type: ignore[assignment]
        required=False, allow_null=True, default=None
    )


class ReplySerializer(serializers.Serializer[Any]):
    """A reply; `upvoted`: the caller upvoted it; `is_accepted`: the question's answer."""

    id = serializers.UUIDField(read_only=True)
    discussion_id = serializers.UUIDField(read_only=True)
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    body = serializers.CharField(read_only=True)
    author = AuthorSerializer(read_only=True)
    upvote_count = serializers.IntegerField(read_only=True)
    upvoted = serializers.BooleanField(read_only=True, default=False)
    is_accepted = serializers.BooleanField(read_only=True, default=False)
    visibility = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class AcceptedReplySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True)
    body = serializers.CharField(read_only=True)
    author = AuthorSerializer(read_only=True)
    upvote_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class DiscussionSerializer(serializers.Serializer[Any]):
    """A discussion in a list (and the base of its detail)."""

    id = serializers.UUIDField(read_only=True)
    course_id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    author = AuthorSerializer(read_only=True)
    is_pinned = serializers.BooleanField(read_only=True)
    is_locked = serializers.BooleanField(read_only=True)
    is_resolved = serializers.BooleanField(read_only=True)
    accepted_reply_id = serializers.UUIDField(read_only=True, allow_null=True)
    reply_count = serializers.IntegerField(read_only=True)
    visibility = serializers.CharField(read_only=True)
    last_activity_at = serializers.DateTimeField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class DiscussionDetailSerializer(DiscussionSerializer):
    """A discussion with its accepted answer (`null` when none, or when it is hidden)."""

    accepted_reply = AcceptedReplySerializer(read_only=True, allow_null=True)


class AcceptInputSerializer(serializers.Serializer[Any]):
    reply_id = serializers.UUIDField()


# --- moderation ----------------------------------------------------------------------------------


class ReportInputSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    detail = serializers.CharField(
        max_length=MAX_REPORT_DETAIL_LENGTH, required=False, allow_blank=True, default=""
    )


class ReportSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(read_only=True)
    item_id = serializers.UUIDField(read_only=True)
    reason = serializers.CharField(read_only=True)
    detail = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class ReasonCountsSerializer(serializers.Serializer[Any]):
    spam = serializers.IntegerField(read_only=True)
    abuse = serializers.IntegerField(read_only=True)
    off_topic = serializers.IntegerField(read_only=True)
    other = serializers.IntegerField(read_only=True)


class ReportedItemSerializer(serializers.Serializer[Any]):
    """One item in the moderation queue (selectors.ReportedItem)."""

    kind = serializers.CharField(read_only=True)
    item_id = serializers.UUIDField(read_only=True)
    course_id = serializers.UUIDField(read_only=True)
    report_count = serializers.IntegerField(read_only=True)
    reasons = ReasonCountsSerializer(read_only=True)
    first_reported_at = serializers.DateTimeField(read_only=True)
    last_reported_at = serializers.DateTimeField(read_only=True)
    visibility = serializers.CharField(read_only=True, allow_null=True)
    author = AuthorSerializer(read_only=True, allow_null=True)
    excerpt = serializers.CharField(read_only=True)


class ModerationResultSerializer(serializers.Serializer[Any]):
    """What a hide, restore or dismiss did (services.ModerationDecision)."""

    kind = serializers.CharField(read_only=True)
    item_id = serializers.UUIDField(read_only=True)
    visibility = serializers.CharField(read_only=True, allow_null=True)
    reports_resolved = serializers.IntegerField(read_only=True)
