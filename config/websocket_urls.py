"""The WebSocket routes (config/asgi.py wraps them in the origin and token checks)."""

from django.urls import path

from lms.messaging.consumers import ConversationConsumer
from lms.notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/conversations/<uuid:conversation_id>/", ConversationConsumer.as_asgi()),
]
