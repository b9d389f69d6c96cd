"""ASGI entry point.

In production this process serves only the WebSocket routes under /ws/ (HTTP goes to
gunicorn); in development `runserver` (daphne) serves both from here.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.websocket_urls import websocket_urlpatterns  # noqa: E402
from lms.accounts.websocket import JWTQueryStringAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            JWTQueryStringAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
