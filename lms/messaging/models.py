"""Conversations between a student and an instructor, their messages and read receipts.

Invariants kept by the database: one conversation per (student, instructor) pair, never
with oneself; a message has a body of 1 to 10,000 characters (the API refuses longer ones
first); one read receipt per message and reader.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from lms.core.models import BaseModel

MAX_BODY_LENGTH = 10_000


class Conversation(BaseModel):
    """One student and one instructor (or tutor) who share an enrollment or a booking."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_as_student"
    )
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conversations_as_instructor",
    )
    # The newest message's time (the creation time until the first one): lists sort by it.
    last_message_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "instructor"], name="one_conversation_per_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(student=models.F("instructor")),
                name="conversation_between_two_people",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "-last_message_at"], name="conversation_student_idx"),
            models.Index(
                fields=["instructor", "-last_message_at"], name="conversation_instructor_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} ↔ {self.instructor_id}"

    def participant_ids(self) -> tuple[object, object]:
        return (self.student_id, self.instructor_id)


class Message(BaseModel):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent"
    )
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_timeline_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(GreaterThanOrEqual(Length("body"), 1))
                & models.Q(LessThanOrEqual(Length("body"), MAX_BODY_LENGTH)),
                name="message_body_length",
            ),
        ]

    def __str__(self) -> str:
        return self.body[:50]


class MessageRead(BaseModel):
    """A read receipt: `reader` read `message` at `read_at`."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_receipts"
    )
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reader"], name="one_receipt_per_reader")
        ]
        indexes = [models.Index(fields=["reader", "message"], name="receipt_reader_idx")]
