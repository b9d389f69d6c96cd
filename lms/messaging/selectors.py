"""Reads of messaging: who may talk to whom, conversations and messages scoped to a
participant (another person's conversation is a 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from lms.core.errors import NotFound
from lms.learning.models import ACCESS_STATUSES, Enrollment
from lms.messaging.models import Conversation, Message, MessageRead
from lms.tutoring.selectors import have_booking


def teaches(*, instructor_id: Any, student_id: Any) -> bool:
    """Whether the student is enrolled (active or completed) in a course the instructor owns
    or co-teaches. One query."""
    return (
        Enrollment.objects.filter(student_id=student_id, status__in=ACCESS_STATUSES)
        .filter(Q(course__instructor_id=instructor_id) | Q(course__co_instructors=instructor_id))
        .exists()
    )


def conversation_roles(*, user_id: Any, other_id: Any) -> tuple[Any, Any] | None:
    """`(student id, instructor id)` of two people allowed to talk, or None.

    The rule (API.md, Community): a student and an instructor who share an enrollment (the
    student in one of the instructor's courses) or a booking (paid, confirmed or completed:
    `lms.tutoring.selectors.have_booking`). Either may start; the roles come from what they
    share, not from the role on their accounts (an instructor can take another's course)."""
    if teaches(instructor_id=other_id, student_id=user_id) or have_booking(user_id, other_id):
        return (user_id, other_id)
    if teaches(instructor_id=user_id, student_id=other_id) or have_booking(other_id, user_id):
        return (other_id, user_id)
    return None


def _unread_by(user_id: Any) -> Any:
    """Per conversation: messages of the other participant without the user's receipt."""
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(sender_id=user_id)
        .exclude(Exists(MessageRead.objects.filter(message=OuterRef("pk"), reader_id=user_id)))
        .order_by()
        .values("conversation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))


def conversations_of(*, user_id: Any) -> QuerySet[Conversation]:
    """The user's conversations, latest activity first, with both participants, the last
    message and the user's `unread_count`; three queries whatever their number (the page,
    the count, and the last messages)."""
    last_message = Message.objects.filter(conversation=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    return (
        Conversation.objects.filter(Q(student_id=user_id) | Q(instructor_id=user_id))
        .select_related("student", "instructor")
        .annotate(
            unread_count=_unread_by(user_id),
            last_message_id=Subquery(last_message.values("pk")[:1]),
        )
        .order_by("-last_message_at", "-id")
    )


def last_messages(conversations: list[Conversation]) -> dict[Any, Message]:
    """The last message of each conversation of a page, by id, in one query."""
    found = (getattr(conversation, "last_message_id", None) for conversation in conversations)
    ids: list[Any] = [message_id for message_id in found if message_id is not None]
    return {message.pk: message for message in Message.objects.filter(pk__in=ids)}


def conversation_for(*, user_id: Any, conversation_id: Any) -> Conversation:
    """One of the user's conversations (404 for anyone else's, or none)."""
    conversation = conversations_of(user_id=user_id).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def is_participant(*, user_id: Any, conversation_id: Any) -> bool:
    return Conversation.objects.filter(
        Q(student_id=user_id) | Q(instructor_id=user_id), pk=conversation_id
    ).exists()


def with_read_at(messages: QuerySet[Message]) -> QuerySet[Message]:
    """`read_at`: when the other participant (not the sender) read each message, or None."""
    receipt = MessageRead.objects.filter(message=OuterRef("pk")).exclude(
        reader_id=OuterRef("sender_id")
    )
    return messages.annotate(read_at=Subquery(receipt.values("read_at")[:1]))


def messages_of(*, conversation: Conversation) -> QuerySet[Message]:
    """A conversation's messages, newest first (page 1 is the latest), each with `read_at`."""
    return with_read_at(
        Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")
    )


def unread_total(*, user_id: Any) -> int:
    """Messages the user has not read, over all their conversations. One query."""
    return (
        Message.objects.filter(
            Q(conversation__student_id=user_id) | Q(conversation__instructor_id=user_id)
        )
        .exclude(sender_id=user_id)
        .exclude(Exists(MessageRead.objects.filter(message=OuterRef("pk"), reader_id=user_id)))
        .count()
    )
