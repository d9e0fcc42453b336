"""ASGI entry point: HTTP goes to Django, WebSockets to the Channels consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (channels tutorial order).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from collaboration.routing import websocket_urlpatterns  # noqa: E402

from .websocket import OriginValidator, StripCookiesWithoutOrigin  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidator(
            StripCookiesWithoutOrigin(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
