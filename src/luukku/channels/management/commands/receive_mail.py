import os
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from luukku.channels.email.imap import keep_watching
from luukku.channels.email.smtp_receiver import MailHandlers, receiver
from luukku.core.actions.audit import audit_channel


def _port(variable: str, default: str) -> int:
    return int(os.environ.get(variable, default) or 0)


class Command(BaseCommand):
    help = (
        "Receive mail for the mailboxes: SMTP and LMTP receivers, and IMAP mailboxes "
        "watched with IDLE (luukku serve starts it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--port",
            type=int,
            default=_port("LUUKKU_INBOUND_SMTP_PORT", "2525"),
            help="SMTP port (LUUKKU_INBOUND_SMTP_PORT, default 2525)",
        )
        parser.add_argument(
            "--lmtp-port",
            type=int,
            default=_port("LUUKKU_INBOUND_LMTP_PORT", "2424"),
            help="LMTP port (LUUKKU_INBOUND_LMTP_PORT, default 2424; 0: none)",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=0,
            help="processes that store and handle mail (default: one per core on "
            "PostgreSQL, one on SQLite)",
        )
        parser.add_argument("--no-imap", action="store_true", help="do not watch IMAP mailboxes")

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        lmtp_port: int,
        processes: int,
        no_imap: bool,
        **options: Any,
    ) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        handlers = MailHandlers(processes or None)
        servers = [receiver(host, port, handlers)]
        if lmtp_port:
            servers.append(receiver(host, lmtp_port, handlers, lmtp=True))
        watcher = None
        if not no_imap:
            watcher = threading.Thread(
                target=keep_watching, args=(stop,), name="luukku-imap", daemon=True
            )
        with audit_channel("email"):
            for server in servers:
                server.start()
            if watcher is not None:
                watcher.start()
            lmtp = f", LMTP on {host}:{lmtp_port}" if lmtp_port else ""
            self.stdout.write(f"Receiving mail: SMTP on {host}:{port}{lmtp}")
            try:
                stop.wait()
            except KeyboardInterrupt:
                stop.set()
            finally:
                for server in servers:
                    server.stop()
                handlers.shutdown()
                if watcher is not None:
                    watcher.join(timeout=5)
