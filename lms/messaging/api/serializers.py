"""Input validation and output shapes of conversations and messages.

Bodies are plain text: stored as sent, returned as JSON strings, never rendered as HTML by
the backend.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.core.serializers import FileUrlField
from lms.messaging.models import MAX_BODY_LENGTH, Conversation, Message


class ConversationStartInputSerializer(serializers.Serializer[Any]):
    participant_id = serializers.UUIDField()


class MessageInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, trim_whitespace=False)

    def validate_body(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("A message cannot be empty.", code="blank")
        return value


class ParticipantSerializer(serializers.Serializer[Any]):
    """A person in a conversation: id, display name (lms.accounts.names), avatar URL."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    avatar = FileUrlField()


class MessageSerializer(serializers.ModelSerializer[Message]):
    """One message; `read_at`: when the other participant read it (null: not yet). The same
    shape goes to the conversation's sockets (`{"type": "message", "message": ...}`)."""

    conversation = serializers.UUIDField(source="conversation_id", read_only=True)
    sender = serializers.UUIDField(source="sender_id", read_only=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = ["id", "conversation", "sender", "body", "created_at", "read_at"]
        read_only_fields = fields


class LastMessageSerializer(serializers.ModelSerializer[Message]):
    sender = serializers.UUIDField(source="sender_id", read_only=True)

    class Meta:
        model = Message
        fields = ["id", "sender", "body", "created_at"]
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer[Conversation]):
    """A conversation as one participant sees it: both people, the last message (null
    before the first) and how many of the other's messages they have not read. The
    serializer's context holds `last_messages` ({message id: Message}) for a page."""

    student = ParticipantSerializer(read_only=True)
    instructor = ParticipantSerializer(read_only=True)
    unread_count = serializers.IntegerField(read_only=True)
    last_message = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "student",
            "instructor",
            "last_message",
            "unread_count",
            "last_message_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LastMessageSerializer(allow_null=True))
    def get_last_message(self, conversation: Conversation) -> dict[str, Any] | None:
        message_id = getattr(conversation, "last_message_id", None)
        message = self.context.get("last_messages", {}).get(message_id)
        return LastMessageSerializer(message).data if message is not None else None


class ReadReceiptsSerializer(serializers.Serializer[Any]):
    """What `POST .../read/` recorded: the messages newly read by `reader` at `read_at`."""

    conversation = serializers.UUIDField(source="conversation_id", read_only=True)
    reader = serializers.UUIDField(source="reader_id", read_only=True)
    read_at = serializers.DateTimeField(read_only=True)
    messages = serializers.ListField(
        source="message_ids", child=serializers.UUIDField(), read_only=True
    )


class UnreadTotalSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
