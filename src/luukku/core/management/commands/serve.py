import subprocess
import sys
from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandError, CommandParser

from luukku.config import ConfigurationError, verify_production_settings


class Command(BaseCommand):
    help = "Run the web server with a background worker beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-processes", type=int, default=1)
        parser.add_argument(
            "--mail-processes",
            type=int,
            default=0,
            help="processes that store and handle inbound mail (default: one per core on "
            "PostgreSQL, one on SQLite)",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="serve the web only (run workers elsewhere)"
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        web_processes: int,
        mail_processes: int,
        no_worker: bool,
        **o: Any,
    ) -> None:
        try:
            verify_production_settings()
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None
        children: list[subprocess.Popen[bytes]] = []
        if not no_worker:
            children.append(subprocess.Popen([sys.executable, "-m", "luukku", "worker"]))
            # Mail for the mailboxes: SMTP (LUUKKU_INBOUND_SMTP_PORT, default 2525), LMTP
            # (LUUKKU_INBOUND_LMTP_PORT, default 2424) and IMAP mailboxes with IDLE.
            receive = [sys.executable, "-m", "luukku", "receive_mail"]
            receive += ["--processes", str(mail_processes)]
            children.append(subprocess.Popen(receive))  # noqa: S603 (our own command line)
        shown_host = "localhost" if host in {"127.0.0.1", "0.0.0.0"} else host  # noqa: S104
        self.stdout.write(self.style.SUCCESS(f"Luukku is at http://{shown_host}:{port}/"))
        self.stdout.write("Press Ctrl-C to stop.")
        try:
            uvicorn.run(
                "luukku.asgi:application",
                host=host,
                port=port,
                workers=web_processes if web_processes > 1 else None,
                log_level="warning",
                proxy_headers=True,
                env_file=None,
                lifespan="off",
            )
        finally:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("Luukku stopped.")
