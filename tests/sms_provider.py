"""A stand-in for Twilio's Messages API on loopback, speaking it as documented: a form
POST to /2010-04-01/Accounts/{sid}/Messages.json with HTTP Basic auth, answered 201 with
the message's sid, or an error with a JSON `message`."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

ACCOUNT, TOKEN = "AC0123456789abcdef", "secret-token"


@dataclass
class FakeProvider:
    port: int = 0
    sent: list[dict[str, str]] = field(default_factory=list)
    answer: int = 201  # 201, or an error status to answer with
    delay: float = 0.0  # seconds before answering (a provider that times out)
    requests: int = 0

    @property
    def url(self) -> str:
        return f"twilio+http://{ACCOUNT}:{TOKEN}@127.0.0.1:{self.port}"


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: a timeout, as the test intends

        def do_POST(self) -> None:
            provider.requests += 1
            if self.path != f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json":
                return self._reply(404, {"message": "The requested resource was not found"})
            expected = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self._reply(401, {"code": 20003, "message": "Authenticate"})
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if provider.delay:
                time.sleep(provider.delay)
            if provider.answer != 201:
                return self._reply(provider.answer, {"message": "Service unavailable"})
            if not form.get("To", "").startswith("+"):
                return self._reply(400, {"code": 21211, "message": "Invalid 'To' Phone Number"})
            provider.sent.append(form)
            return self._reply(201, {"sid": f"SM{len(provider.sent):032d}", "status": "queued"})

    return Handler


@pytest.fixture
def sms_provider(settings: Any) -> Iterator[FakeProvider]:
    provider = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.LUUKKU_SMS_URL = provider.url
    settings.LUUKKU_SMS_SENDER = "Nordby"
    yield provider
    server.shutdown()
