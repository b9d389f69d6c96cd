"""The WebSocket routes (config/asgi.py wraps them in the origin and token checks)."""

from django.urls import path, re_path

from lms.messaging.consumers import ConversationConsumer
from lms.notifications.consumers import NotificationConsumer
from lms.notifications.sockets import UnknownRouteConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/conversations/<uuid:conversation_id>/", ConversationConsumer.as_asgi()),
    re_path(r"^ws/", UnknownRouteConsumer.as_asgi()),  # last: anything else closes with 4404
]
