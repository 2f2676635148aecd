"""The desk's WebSocket addresses (assembled in luukku/asgi.py)."""

from django.urls import path

from luukku.desk.consumers import QueueConsumer

websocket_urlpatterns = [
    path("ws/desk/queues/<slug:slug>/", QueueConsumer.as_asgi()),
]
