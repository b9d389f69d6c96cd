"""Messaging's part of a person's export and deletion (lms.accounts.personal_data)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from lms.accounts.personal_data import ExportDocument
from lms.messaging.models import Conversation, Message
from lms.notifications.models import Category, Notification

ERASED_BODY = "[deleted]"


def export(user: Any) -> Iterable[ExportDocument]:
    """`messaging/conversations.json`: each of the user's conversations with every message
    in it (both sides: the user's copy of the exchange), oldest first."""
    conversations = (
        Conversation.objects.filter(Q(student=user) | Q(instructor=user))
        .order_by("created_at")
        .values("id", "student_id", "instructor_id", "created_at")
    )
    messages: dict[Any, list[dict[str, Any]]] = {}
    for row in (
        Message.objects.filter(Q(conversation__student=user) | Q(conversation__instructor=user))
        .order_by("created_at", "id")
        .values("conversation_id", "id", "sender_id", "body", "created_at")
    ):
        message: dict[str, Any] = {
            key: value for key, value in row.items() if key != "conversation_id"
        }
        message["mine"] = row["sender_id"] == user.pk
        messages.setdefault(row["conversation_id"], []).append(message)
    yield ExportDocument(
        path="messaging/conversations.json",
        data=[{**row, "messages": messages.get(row["id"], [])} for row in conversations],
    )


def erase(user: Any) -> None:
    """The text of the user's messages goes (the other participant keeps the thread, with
    `[deleted]` where the user wrote), and so do the name and the words that the
    "New message from ..." notifications of the other participants quoted. Idempotent."""
    Message.objects.filter(sender=user).exclude(body=ERASED_BODY).update(body=ERASED_BODY)
    conversations = Conversation.objects.filter(Q(student=user) | Q(instructor=user))
    ids = [str(pk) for pk in conversations.values_list("pk", flat=True)]
    Notification.objects.filter(category=Category.MESSAGES, data__conversation_id__in=ids).exclude(
        user=user
    ).update(title="New message", body="")
