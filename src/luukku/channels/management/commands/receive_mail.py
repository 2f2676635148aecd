import os
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from luukku.channels.email.smtp_receiver import receiver
from luukku.core.actions.audit import audit_channel


class Command(BaseCommand):
    help = "Receive mail for the mailboxes over SMTP (luukku serve starts it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("LUUKKU_INBOUND_SMTP_PORT", "2525"))
        )

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        server = receiver(host, port)
        with audit_channel("email"):
            server.start()
            self.stdout.write(f"Receiving mail on {host}:{port}")
            try:
                stop.wait()
            except KeyboardInterrupt:
                pass
            finally:
                server.stop()
