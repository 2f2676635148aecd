"""Inbound email to stored, threaded cases, through the SMTP receiver.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_bench \\
        .venv/bin/python -m bench.desk_inbound --messages 2000 --senders 4

Starts the receiver `luukku serve` runs (`luukku receive_mail --processes N`, on a free
loopback port, in processes of its own), sends `--messages` mails from `--senders` concurrent SMTP clients (each its own
connection, one mail per transaction, as mail servers deliver), half of them new
conversations and half answers to earlier ones, and reports messages per second from
the first connection to the last stored case message. Needs the demo organization
(loaded if missing).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
os.environ.setdefault("LUUKKU_DEBUG", "1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            time.sleep(1)  # the other receiver processes start alongside
            return
        time.sleep(0.2)
    raise SystemExit("the receiver did not start")


def _mail(run: str, n: int, answer_to: int | None) -> bytes:
    sender = f"bench.{run}.{n % 500}@example.test"
    headers = [
        f"From: Bench Customer {n % 500} <{sender}>",
        "To: housing@demo.luukku.test",
        f"Subject: {'Re: ' if answer_to is not None else ''}Question {answer_to or n}",
        f"Message-ID: <bench-{run}-{n}@example.test>",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if answer_to is not None:
        ref = f"<bench-{run}-{answer_to}@example.test>"
        headers += [f"In-Reply-To: {ref}", f"References: {ref}"]
    body = f"Hei,\r\n\r\nDette er melding nummer {n}.\r\n\r\nHilsen\r\nBench\r\n"
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


def _answers_to(messages: int) -> list[int | None]:
    """For each mail, the earlier mail it answers, or None for a new conversation."""
    rng = random.Random(1)
    return [rng.randrange(n) if n > 10 and n % 2 else None for n in range(messages)]


def _send_all(port: int, messages: int, senders: int) -> float:
    """Send `messages` mails over `senders` connections at once; seconds taken."""
    run = str(int(time.time()))
    mails = [_mail(run, n, answer_to) for n, answer_to in enumerate(_answers_to(messages))]
    shares = [mails[i::senders] for i in range(senders)]

    def send(share: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            for raw in share:
                client.sendmail("bench@example.test", ["housing@demo.luukku.test"], raw)

    start = time.perf_counter()
    threads = [threading.Thread(target=send, args=(s,)) for s in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def _protocol_only(messages: int, senders: int) -> None:
    from aiosmtpd.controller import Controller

    class KeepNothing:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    port = _free_port()
    controller = Controller(KeepNothing(), hostname="127.0.0.1", port=port)
    controller.start()
    elapsed = _send_all(port, messages, senders)
    controller.stop()
    print(f"protocol only: {messages:,} mails in {elapsed:.1f} s = {messages / elapsed:,.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--processes", type=int, default=1, help="handler processes")
    parser.add_argument(
        "--protocol-only",
        action="store_true",
        help="the ceiling: an aiosmtpd receiver in this process that keeps nothing",
    )
    args = parser.parse_args()
    if args.protocol_only:
        _protocol_only(args.messages, args.senders)
        return

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from luukku.channels.models import Mailbox
    from luukku.desk.models import Case, Message

    call_command("migrate", verbosity=0)
    if not Mailbox.objects.filter(address="housing@demo.luukku.test").exists():
        call_command("demo", "--persons", "200", verbosity=0)
    Mailbox.objects.filter(address="housing@demo.luukku.test").update(acknowledge=False)
    before = Message.objects.count()
    cases_before = Case.objects.count()
    connections.close_all()

    port = _free_port()
    command = [sys.executable, "-m", "luukku", "receive_mail", "--port", str(port)]
    command += ["--lmtp-port", "0", "--processes", str(args.processes), "--no-imap"]
    receiver = subprocess.Popen(  # noqa: S603 (our own command line)
        command,
        # As in production: DEBUG would keep every query's SQL in memory.
        env={k: v for k, v in os.environ.items() if k != "LUUKKU_DEBUG"},
    )
    _wait_for(port)
    start = time.perf_counter()
    sent = _send_all(port, args.messages, args.senders)
    # The 250 comes once a message is stored; count until its case message is written.
    while Message.objects.count() - before < args.messages and time.perf_counter() - start < 600:
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    print(f"sent in {sent:.1f} s")
    receiver.send_signal(signal.SIGTERM)
    receiver.wait(timeout=60)
    stored = Message.objects.count() - before
    opened = Case.objects.count() - cases_before
    conversations = sum(1 for a in _answers_to(args.messages) if a is None)
    print(
        f"inbound: {args.messages:,} mails from {args.senders} senders in {elapsed:.1f} s = "
        f"{args.messages / elapsed:,.0f} messages/s ({stored:,} stored; {connection.vendor})"
    )
    print(
        f"cases opened: {opened:,} for {conversations:,} new conversations; "
        f"{opened - conversations:,} answers came before their original was stored"
    )


if __name__ == "__main__":
    main()
