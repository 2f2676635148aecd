"""Keeping the files that come with messages: within a size limit, under names of our
own, with their type read from their content."""

from __future__ import annotations

import os
import re
import secrets

import filetype
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from luukku.channels.inbound import InboundAttachment
from luukku.desk.models import Attachment, Message

MAX_BYTES = int(os.environ.get("LUUKKU_MAX_ATTACHMENT_MB", "20")) * 1024 * 1024
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f/\\]")


def safe_filename(name: str) -> str:
    """The name as shown and offered on download: no directories, no control characters."""
    cleaned = _UNPRINTABLE.sub("_", os.path.basename(name.replace("\\", "/"))).strip(" .")
    return (cleaned or "attachment")[:200]


def over_limit(name: str, size: int) -> str | None:
    """Why a file an agent adds cannot be attached, or None."""
    if size <= MAX_BYTES:
        return None
    return _("%(name)s is larger than the %(limit)s MB limit for attachments.") % {
        "name": safe_filename(name),
        "limit": MAX_BYTES // (1024 * 1024),
    }


def sniffed_type(data: bytes, declared: str) -> str:
    """The type the bytes show (a "PDF" that is an executable is an executable); text
    has no signature, so a declared text type is kept, anything else unknown is binary."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return str(kind.mime)
    if declared.startswith("text/") or declared in {"message/rfc822", "application/ms-tnef"}:
        return declared
    return "application/octet-stream"


def keep(message: Message, attachments: list[InboundAttachment]) -> list[str]:
    """Store the attachments of `message`; returns what could not be kept, and why."""
    refused = []
    for item in attachments:
        name = safe_filename(item.filename)
        if len(item.data) > MAX_BYTES:
            refused.append(
                f"{name} ({len(item.data) // (1024 * 1024)} MB) is over the "
                f"{MAX_BYTES // (1024 * 1024)} MB limit: not kept"
            )
            continue
        stored = Attachment(
            message=message,
            filename=name,
            content_type=sniffed_type(item.data, item.content_type),
            size=len(item.data),
            content_id=item.content_id[:200],
            inline=item.inline,
        )
        stored.file.save(secrets.token_hex(16), ContentFile(item.data), save=False)
        stored.save()
    return refused
