"""WebSocket routes of the collaboration app."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/collab/", consumers.DocumentConsumer.as_asgi()),
]
