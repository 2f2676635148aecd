"""Campaign mail in bulk: each message built straight as bytes, then handed over on SMTP
connections that stay open, to one or more servers, each at its own pace.

A hand-over ends in one of four ways the caller tells apart: *sent* (the server took
it), *refused* (a 5xx answer: final), *again* (nothing was handed over, or a 4xx
answer: try later) and *uncertain* (the connection broke after the message's end was
written: it has very probably left, and is not sent again). The caller is told the
moment the message's end has been written (`handed`), before the server answers: from
then on a stop of the process no longer keeps the message from arriving.
"""

from __future__ import annotations

import base64
import binascii
import mailbox
import re
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formataddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.conf import settings

SENT, REFUSED, AGAIN, UNCERTAIN = "sent", "refused", "again", "uncertain"
TIMEOUT = 30.0
# "=_" never occurs in base64 ("=" only pads its end) or in our header lines.
_BOUNDARY = "=_luukku_alt_7f3a"
_UNSAFE = str.maketrans({"\r": " ", "\n": " ", "\x00": ""})


@dataclass(frozen=True)
class Outcome:
    kind: str
    reply: str = ""


def header_value(value: str) -> str:
    """A header's value: plain ASCII as it is, anything else as RFC 2047 encoded words
    (base64, each at most 75 characters, a character never split between two). The
    standard library's `Header` does the same about fifty times slower, which shows
    at a thousand messages a second."""
    value = " ".join(value.translate(_UNSAFE).split())
    if value.isascii():
        return value
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in value:
        width = len(char.encode())
        if size + width > _WORD_BYTES:
            words.append(_word("".join(chunk)))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append(_word("".join(chunk)))
    return "\r\n ".join(words)


# 45 bytes make 60 base64 characters: with "=?utf-8?b?" and "?=", 72 of the 75 allowed.
_WORD_BYTES = 45


def _word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


def address(name: str, email: str) -> str:
    return formataddr((" ".join(name.translate(_UNSAFE).split()), email), charset="utf-8")


def _part(content_type: str, body: str) -> bytes:
    """Base64 in lines of 76, encoded in one C call and cut in slices (the standard
    library's `encodebytes` loops in Python; quoted-printable is slower still)."""
    encoded = binascii.b2a_base64(body.encode(), newline=False)
    lines = b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    return (
        (
            f"Content-Type: {content_type}; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode()
        + lines
        + b"\r\n"
    )


def build_message(headers: Iterable[tuple[str, str]], *, text: str, html: str) -> bytes:
    """A multipart/alternative message (text, then HTML), with CRLF line ends; header
    values must already be encoded (`header_value`, `address`)."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return b"".join(
        (
            head.encode(),
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{_BOUNDARY}"\r\n\r\n'.encode(),
            f"--{_BOUNDARY}\r\n".encode(),
            _part("text/plain", text),
            f"\r\n--{_BOUNDARY}\r\n".encode(),
            _part("text/html", html),
            f"\r\n--{_BOUNDARY}--\r\n".encode(),
        )
    )


_LEADING_DOT = re.compile(rb"(?m)^\.")
_BAD_ADDRESS = re.compile(r"[\s<>]")


def _by_code(code: int, reply: bytes | str) -> Outcome:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    answer = f"{code} {text}".strip()
    if 200 <= code < 300:
        return Outcome(SENT, answer)
    if 500 <= code < 600:
        return Outcome(REFUSED, answer)
    return Outcome(AGAIN, answer)


@dataclass
class SmtpServer:
    """One server of the pool, its connection kept open, at most `per_second` a second."""

    url: str
    per_second: float | None = None
    next_at: float = 0.0
    connection: smtplib.SMTP | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        query = parse_qs(urlparse(url).query)
        pace = query.get("per_second", [""])[0]
        return cls(url=url, per_second=float(pace) if pace else None)

    def _connect(self) -> smtplib.SMTP:
        parsed = urlparse(self.url)
        query = parse_qs(parsed.query)
        if parsed.scheme == "smtps":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                parsed.hostname or "localhost", parsed.port or 465, timeout=TIMEOUT
            )
        else:
            connection = smtplib.SMTP(
                parsed.hostname or "localhost", parsed.port or 25, timeout=TIMEOUT
            )
        connection.ehlo()
        if query.get("starttls", ["0"])[0] in {"1", "true"}:
            connection.starttls()
            connection.ehlo()
        if parsed.username:
            connection.login(unquote(parsed.username), unquote(parsed.password or ""))
        return connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None

    def _drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    @staticmethod
    def _envelope(connection: smtplib.SMTP, sender: str, recipient: str) -> tuple[int, bytes]:
        """MAIL, RCPT and DATA: sent together where the server allows it (PIPELINING,
        RFC 2920: one round trip instead of three); the first answer that is not a
        success, else DATA's 354. The addresses are ours (VERP) and checked ones from
        the database; smtplib's mail() and rcpt() would parse both again each time."""
        commands = [f"MAIL FROM:<{sender}>", f"RCPT TO:<{recipient}>", "DATA"]
        if connection.has_extn("pipelining"):
            connection.send("".join(f"{command}\r\n" for command in commands))
            replies = [connection.getreply() for _command in commands]
        else:
            replies = []
            for command in commands:
                connection.putcmd(command)
                replies.append(connection.getreply())
                if replies[-1][0] not in (250, 251, 354):
                    break
        failed = next(((c, r) for c, r in replies if c not in (250, 251, 354)), None)
        if failed is not None:
            if replies[-1][0] == 354:  # a server that took DATA all the same: end it empty
                connection.send(b".\r\n")
                connection.getreply()
            return failed
        return replies[-1]

    def hand_over(
        self, sender: str, recipient: str, data: bytes, handed: Callable[[], None]
    ) -> Outcome:
        if _BAD_ADDRESS.search(sender) or _BAD_ADDRESS.search(recipient) or not recipient:
            return Outcome(REFUSED, f"Not an address that can be sent to: {recipient!r}")
        try:
            if self.connection is None:
                self.connection = self._connect()
            connection = self.connection
            code, reply = self._envelope(connection, sender, recipient)
            if code != 354:
                connection.rset()
                return _by_code(code, reply)
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return Outcome(AGAIN, str(error) or type(error).__name__)
        try:
            connection.send(_LEADING_DOT.sub(b"..", data) + b".\r\n")
        except (OSError, smtplib.SMTPException) as error:
            self._drop()  # the end was never written: the server discards what it got
            return Outcome(AGAIN, str(error) or type(error).__name__)
        handed()
        try:
            code, reply = connection.getreply()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return Outcome(UNCERTAIN, str(error) or type(error).__name__)
        return _by_code(code, reply)


class SmtpPool:
    """Hands each message to the server that is free soonest, keeping every pace."""

    def __init__(self, servers: list[SmtpServer]) -> None:
        self.servers = servers

    def hand_over(
        self, sender: str, recipient: str, data: bytes, handed: Callable[[], None]
    ) -> Outcome:
        server = min(self.servers, key=lambda s: s.next_at)
        now = time.monotonic()
        if server.next_at > now:
            time.sleep(server.next_at - now)
        if server.per_second:
            server.next_at = max(now, server.next_at) + 1.0 / server.per_second
        return server.hand_over(sender, recipient, data, handed)

    def close(self) -> None:
        for server in self.servers:
            server.close()


class MaildirDrop:
    """With no SMTP server configured: each message is written to a Maildir under var/
    (with its envelope as Return-Path and Delivered-To), for a person to read there."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(path, create=True)

    def hand_over(
        self, sender: str, recipient: str, data: bytes, handed: Callable[[], None]
    ) -> Outcome:
        envelope = f"Return-Path: <{sender}>\r\nDelivered-To: {recipient}\r\n".encode()
        self.box.add(envelope + data)
        handed()
        return Outcome(SENT, "written to the Maildir")

    def close(self) -> None:
        self.box.close()


Transport = SmtpPool | MaildirDrop


def transport() -> Transport:
    """The configured way out: the SMTP pool, or the Maildir when there is none."""
    urls = settings.LUUKKU_BULK_SMTP_URLS
    if urls:
        return SmtpPool([SmtpServer.from_url(url) for url in urls])
    return MaildirDrop(Path(settings.LUUKKU_BULK_MAILDIR))


@dataclass(frozen=True)
class Parcel:
    """A message ready to hand over, and what to call once its end is written."""

    sender: str
    recipient: str
    data: bytes
    handed: Callable[[], None]
