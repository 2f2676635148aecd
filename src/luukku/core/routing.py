"""The core's WebSocket addresses (assembled in luukku/routing.py)."""

from django.urls import path

from luukku.core.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
