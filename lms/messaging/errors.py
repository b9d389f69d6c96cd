"""The error codes of messaging, in one place."""

from enum import StrEnum


class MessagingError(StrEnum):
    # 403: no shared enrollment or booking between the two (or no such person)
    NOT_ALLOWED_TO_MESSAGE = "not_allowed_to_message"
    # 400: a conversation with oneself
    CANNOT_MESSAGE_YOURSELF = "cannot_message_yourself"
