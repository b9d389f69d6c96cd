"""Row locks of messaging, and the one order in which they are taken.

Lock order (every messaging service follows it):

1. The conversation row (`select_for_update`), when a flow adds to it: sending a message
   locks it, so the messages of one conversation are written one at a time and
   `last_message_at` always is the newest message's time.
2. Message and receipt rows are never locked: receipts are inserted with
   `ON CONFLICT DO NOTHING` under their unique constraint (one per message and reader).

Starting a conversation takes no lock: the unique constraint on (student, instructor)
decides between two concurrent starts, and the loser reads the winner's row.
Notifications (`lms.notifications.services.notify`) insert a row only; their delivery, which
locks the recipient's user row, runs after commit.
"""

from __future__ import annotations

from typing import Any

from lms.messaging.models import Conversation


def lock_conversation(conversation_id: Any) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation_id)
