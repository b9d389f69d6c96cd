"""ASGI entry point.

In production this process serves only the WebSocket routes under /ws/ (HTTP goes to
gunicorn); in development `runserver` (daphne) serves both from here.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.websocket_urls import websocket_urlpatterns  # noqa: E402
from lms.accounts.websocket import JWTQueryStringAuthMiddleware  # noqa: E402
from lms.notifications.sockets import origin_checked  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin (a foreign one is refused, none is let through), then the token (a bad one
        # closes with 4401): lms.notifications.sockets.
        "websocket": origin_checked(JWTQueryStringAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
