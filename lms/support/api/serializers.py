"""Input validation and output shapes of support tickets. Bodies are plain text, stored as
sent and never rendered as HTML by the backend."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from lms.core.serializers import FileUrlField
from lms.support.models import (
    MAX_BODY_LENGTH,
    MAX_SUBJECT_LENGTH,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise serializers.ValidationError("This field may not be blank.", code="blank")
    return value


class TicketInputSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField(max_length=MAX_SUBJECT_LENGTH)
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, trim_whitespace=False)
    priority = serializers.ChoiceField(
        choices=TicketPriority.choices, default=TicketPriority.MEDIUM
    )
    category = serializers.ChoiceField(choices=TicketCategory.choices, default=TicketCategory.OTHER)

    def validate_body(self, value: str) -> str:
        return _not_blank(value)


class TicketUpdateInputSerializer(serializers.Serializer[Any]):
    """Staff: any field (`assignee`: a staff member's id, or null to unassign). The owner:
    `status` `open` (reopen a resolved ticket) or `closed`."""

    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    assignee = serializers.UUIDField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    category = serializers.ChoiceField(choices=TicketCategory.choices, required=False)


class TicketMessageInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, trim_whitespace=False)

    def validate_body(self, value: str) -> str:
        return _not_blank(value)


class TicketPersonSerializer(serializers.Serializer[Any]):
    """A person on a ticket: id, display name (lms.accounts.names), avatar URL."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    avatar = FileUrlField()


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    owner = TicketPersonSerializer(read_only=True)
    assignee = TicketPersonSerializer(read_only=True, allow_null=True)
    message_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "body",
            "priority",
            "category",
            "status",
            "owner",
            "assignee",
            "message_count",
            "last_activity_at",
            "resolved_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TicketMessageSerializer(serializers.ModelSerializer[TicketMessage]):
    """`from_staff`: written by support staff (not the ticket's owner)."""

    author = TicketPersonSerializer(read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "author", "from_staff", "body", "created_at"]
        read_only_fields = fields
