from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from luukku.core.actions.audit import audit_channel
from luukku.core.runtime import settle_memory
from luukku.core.worker import run_worker


class Command(BaseCommand):
    help = "Run background jobs and the periodic scheduler. Start several to scale out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=0.2, help="seconds between polls when idle"
        )
        parser.add_argument(
            "--batch", action="store_true", help="run what is due, then exit (no scheduler)"
        )
        parser.add_argument("--queues", default="*", help="comma-separated queue names")

    def handle(self, *args: Any, interval: float, batch: bool, queues: str, **o: Any) -> None:
        settle_memory()
        with audit_channel("job"):
            run_worker(interval=interval, batch=batch, queues=queues)
