"""Live delivery at `/ws/conversations/{id}/`: what the services push after commit.

Each conversation has one channel-layer group, joined only by its participants' sockets
(`lms.messaging.consumers`). Events, as JSON on the socket:

- `{"type": "message", "message": <the shape of GET .../messages/ items>}`
- `{"type": "read", "conversation": id, "reader": id, "read_at": time, "messages": [ids]}`

A channel layer that is down is logged, never raised: the message is committed, and the
client reads it over HTTP.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from lms.messaging import selectors
from lms.messaging.models import Message

if TYPE_CHECKING:
    from lms.messaging.services import ReadReceipts

logger = logging.getLogger(__name__)


def conversation_group(conversation_id: Any) -> str:
    return f"conversation.{conversation_id}"


def _send(conversation_id: Any, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(conversation_group(conversation_id), event)
    except Exception:  # a broker outage must not fail a committed request
        logger.warning(
            "messaging.push_failed", extra={"conversation": str(conversation_id)}, exc_info=True
        )


def message_created(*, message_id: Any) -> None:
    from lms.messaging.api.serializers import MessageSerializer

    message = selectors.with_read_at(Message.objects.filter(pk=message_id)).first()
    if message is None:
        return
    _send(
        message.conversation_id,
        {"type": "message.created", "message": dict(MessageSerializer(message).data)},
    )


def messages_read(receipts: ReadReceipts) -> None:
    from lms.messaging.api.serializers import ReadReceiptsSerializer

    _send(
        receipts.conversation_id,
        {"type": "messages.read", "receipts": dict(ReadReceiptsSerializer(receipts).data)},
    )
