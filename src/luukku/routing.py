"""The ASGI application's protocols: HTTP to Django, WebSockets to the live pages."""

from __future__ import annotations

import warnings
from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application


def protocols() -> Any:
    """WebSockets are for signed-in staff from our own origin: the session cookie names
    them, and the Origin header must be one of the allowed hosts."""
    # WhiteNoise streams static files through a synchronous iterator; under ASGI Django
    # wraps it and warns on every file. The files are small and cached.
    warnings.filterwarnings(
        "ignore", message="StreamingHttpResponse must consume synchronous iterators"
    )
    http = get_asgi_application()  # sets Django up before the consumers are imported
    from django.db import connections

    # Under ASGI each request's synchronous part runs in a thread of its own, so a kept
    # connection (CONN_MAX_AGE) would never be used again nor closed: one left open per
    # request until PostgreSQL refuses more. Each request closes its own instead.
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    from luukku.core.routing import websocket_urlpatterns as core_sockets
    from luukku.desk.routing import websocket_urlpatterns as desk_sockets

    return ProtocolTypeRouter(
        {
            "http": http,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(core_sockets + desk_sockets))
            ),
        }
    )
