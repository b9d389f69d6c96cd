"""Every write of messaging: start a conversation, send a message, mark messages read.

Locks follow `lms/messaging/locks.py`. The live push to `/ws/conversations/{id}/` and the
recipient's notification go after commit (`lms.messaging.live`, `notify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from lms.core.errors import Invalid, PermissionDenied
from lms.messaging import live, locks, selectors
from lms.messaging.errors import MessagingError
from lms.messaging.models import Conversation, Message, MessageRead
from lms.notifications.models import Category
from lms.notifications.services import notify


def start_conversation(*, user: Any, participant_id: Any) -> tuple[Conversation, bool]:
    """The conversation of `user` and `participant_id`, created when they have none yet;
    returns it and whether it was created. 400 `cannot_message_yourself`; 403
    `not_allowed_to_message` when they share no enrollment or booking (or no such active
    person exists: the answer does not tell which). Concurrent starts make one row (the
    unique pair constraint; the loser reads the winner's)."""
    if str(participant_id) == str(user.pk):
        raise Invalid(
            "You cannot start a conversation with yourself.",
            code=MessagingError.CANNOT_MESSAGE_YOURSELF,
        )
    refused = PermissionDenied(
        "You can message only your instructors and students (a shared course or booking).",
        code=MessagingError.NOT_ALLOWED_TO_MESSAGE,
    )
    if not get_user_model().objects.filter(pk=participant_id, is_active=True).exists():
        raise refused
    roles = selectors.conversation_roles(user_id=user.pk, other_id=participant_id)
    if roles is None:
        raise refused
    student_id, instructor_id = roles
    existing = Conversation.objects.filter(student_id=student_id, instructor_id=instructor_id)
    conversation = existing.first()
    if conversation is not None:
        return conversation, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                student_id=student_id, instructor_id=instructor_id, last_message_at=timezone.now()
            )
    except IntegrityError:  # a concurrent start won: one conversation per pair
        return existing.get(), False
    return conversation, True


@transaction.atomic
def send_message(*, conversation: Conversation, sender: Any, body: str) -> Message:
    """Add `sender`'s message (1 to 10,000 characters, stored as text) to a conversation
    they take part in; after commit it is pushed to the conversation's sockets and the other
    participant is notified (category `messages`: in-app, live, and email or digest)."""
    locked = locks.lock_conversation(conversation.pk)
    message = Message.objects.create(conversation=locked, sender=sender, body=body)
    locked.last_message_at = message.created_at
    locked.save(update_fields=["last_message_at", "updated_at"])
    recipient_id = (
        locked.instructor_id if str(locked.student_id) == str(sender.pk) else locked.student_id
    )
    notify(
        user=get_user_model()(pk=recipient_id),
        category=Category.MESSAGES,
        title=f"New message from {sender.full_name}",
        body=body[:200],
        data={"conversation_id": str(locked.pk), "message_id": str(message.pk)},
    )
    transaction.on_commit(lambda: live.message_created(message_id=message.pk))
    return message


@dataclass(frozen=True, slots=True)
class ReadReceipts:
    """What `mark_read` recorded: the messages newly read, and when."""

    conversation_id: Any
    reader_id: Any
    read_at: datetime
    message_ids: list[Any]


@transaction.atomic
def mark_read(*, conversation: Conversation, reader: Any) -> ReadReceipts:
    """Record `reader`'s receipt for every message of the other participant they have not
    read yet; idempotent (one receipt per message and reader, ON CONFLICT DO NOTHING). The
    senders' sockets learn it after commit."""
    now = timezone.now()
    unread = list(
        Message.objects.filter(conversation=conversation)
        .exclude(sender_id=reader.pk)
        .exclude(receipts__reader_id=reader.pk)
        .values_list("pk", flat=True)
    )
    MessageRead.objects.bulk_create(
        [MessageRead(message_id=pk, reader_id=reader.pk, read_at=now) for pk in unread],
        ignore_conflicts=True,
    )
    receipts = ReadReceipts(
        conversation_id=conversation.pk, reader_id=reader.pk, read_at=now, message_ids=unread
    )
    if unread:
        transaction.on_commit(lambda: live.messages_read(receipts))
    return receipts
