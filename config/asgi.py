"""ASGI entry point: HTTP goes to Django, WebSockets to the Channels consumers."""

import gc
import os
import sys

from django.core.asgi import get_asgi_application

# The event loop and the database threads share the GIL. Python's default 5 ms switch
# interval makes a thread that just got its query result wait behind the loop (and the
# loop behind it) several times per commit; a short interval keeps acks fast.
sys.setswitchinterval(float(os.environ.get("GIL_SWITCH_INTERVAL", "0.0005")))
# Full collections walk every long-lived object (documents held in memory, recent
# operations): rarer collections keep them from stalling the event loop for long.
gc.set_threshold(50_000, 20, 100)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (channels tutorial order).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from daphne.http_protocol import WebRequest  # noqa: E402

from collaboration.routing import websocket_urlpatterns  # noqa: E402

from . import pool_metrics, sentry, sigterm  # noqa: E402
from .drain import CountHttpRequests  # noqa: E402
from .websocket import OriginValidator, StripCookiesWithoutOrigin  # noqa: E402


def _daphne_leaves_request_bodies_alone() -> None:
    """Daphne's requests are Twisted requests, which parse multipart and form bodies into
    `request.args` before the app sees them (daphne never uses that: it hands the raw body
    to Django). A malformed one (an empty multipart POST) is then refused by Twisted with
    a bare 400 and no JSON error, and large uploads are held in memory twice. Twisted has
    a switch for it; daphne does not expose it, so it is turned off here."""
    original = WebRequest.__init__
    if getattr(original, "leaves_bodies_alone", False):
        return

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False

    __init__.leaves_bodies_alone = True
    WebRequest.__init__ = __init__


_daphne_leaves_request_bodies_alone()
sigterm.install()  # SIGTERM drains the process before it stops (config/drain.py)
pool_metrics.register()  # the database pools at /metrics, next to django-prometheus' figures
gc.freeze()  # what startup allocated lives forever: keep it out of every collection

application = ProtocolTypeRouter(
    {
        "http": CountHttpRequests(django_asgi_app),
        "websocket": sentry.wrap_asgi(
            OriginValidator(
                StripCookiesWithoutOrigin(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
            )
        ),
    }
)
