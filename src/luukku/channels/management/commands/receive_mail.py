import os
import signal
import subprocess
import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from luukku.channels.email.imap import keep_watching
from luukku.channels.email.smtp_receiver import receiver
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
            default=1,
            help="receiver processes sharing the ports (the kernel spreads connections)",
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
        servers = [receiver(host, port)]
        if lmtp_port:
            servers.append(receiver(host, lmtp_port, lmtp=True))
        helpers = [self._helper(host, port, lmtp_port) for _ in range(processes - 1)]
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
                for helper in helpers:
                    helper.terminate()
                for helper in helpers:
                    helper.wait(timeout=30)
                if watcher is not None:
                    watcher.join(timeout=5)

    @staticmethod
    def _helper(host: str, port: int, lmtp_port: int) -> subprocess.Popen[bytes]:
        """Another receiver on the same ports, without IMAP watchers (one set is enough)."""
        command = [sys.executable, "-m", "luukku", "receive_mail", "--no-imap"]
        command += ["--host", host, "--port", str(port), "--lmtp-port", str(lmtp_port)]
        return subprocess.Popen(command)  # noqa: S603 (our own command line)
