"""Reading one email (RFC 5322 bytes) into an InboundMessage, whatever shape it is in.

The standard library parses (policy.default). Around it: charsets that lie (a
Windows-1252 body labelled ISO-8859-1, an unknown charset name), HTML-only mail
(its text is derived), inline images and attachments, forwarded messages kept whole,
automatic mail recognized (RFC 3834) and delivery status notifications read
(RFC 3464). Nothing here raises for bad input: what had to be repaired is listed in
`problems`.
"""

from __future__ import annotations

import email.utils
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser

from luukku.channels.email.html import html_to_text, sanitize
from luukku.channels.inbound import Bounce, Complaint, InboundAttachment, InboundMessage

FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")  # latin-1 decodes anything
# Names for parts that come without one, so that an agent's download opens right.
NAMELESS = {"message/rfc822": "forwarded-message.eml", "text/calendar": "invitation.ics"}


def _header(msg: Message, name: str, problems: list[str]) -> str:
    try:
        value = msg.get(name)
    except Exception as exc:  # a header the parser cannot make sense of
        problems.append(f"{name}: {exc}")
        value = msg.get_all(name, [""])[0] if hasattr(msg, "get_all") else ""
    return str(value or "").strip()


def _addresses(msg: Message, name: str, problems: list[str]) -> list[tuple[str, str]]:
    values = []
    for raw in msg.get_all(name, []) or []:
        values.append(str(raw))
    pairs = email.utils.getaddresses(values)
    return [(real, addr.strip()) for real, addr in pairs if addr and "@" in addr]


def _ids(value: str) -> list[str]:
    """Message ids in a References or In-Reply-To header, with their angle brackets."""
    return [f"<{part.split('>')[0]}>" for part in value.split("<")[1:] if ">" in part]


def _text_of(part: Message, problems: list[str]) -> str:
    """A text part's content, decoded even when its declared charset is wrong or unknown."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    declared = part.get_content_charset()
    for charset in (declared, *FALLBACK_CHARSETS) if declared else FALLBACK_CHARSETS:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            if charset == declared:
                problems.append(f"text not in its declared charset {declared}")
            continue
    return payload.decode("latin-1")  # pragma: no cover - latin-1 decodes every byte


def _subparts(msg: Message) -> list[Message]:
    payload = msg.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _parts(msg: Message) -> list[Message]:
    """Leaf parts in order; a forwarded message (message/rfc822) is one leaf, kept whole."""
    if msg.get_content_maintype() == "multipart":
        return [leaf for sub in _subparts(msg) for leaf in _parts(sub)]
    return [msg]


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return str(name)
    return NAMELESS.get(part.get_content_type(), "")


def _attachment(part: Message) -> InboundAttachment:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = _subparts(part)
        data = inner[0].as_bytes(policy=policy.default) if inner else b""
    else:
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else str(part.get_payload()).encode()
    content_id = str(part.get("Content-ID", "")).strip().strip("<>")
    return InboundAttachment(
        filename=_filename(part) or f"attachment.{part.get_content_subtype()}",
        content_type=content_type,
        data=data,
        content_id=content_id,
        inline=str(part.get("Content-Disposition", "")).lower().startswith("inline"),
    )


def _automatic(msg: Message, sender: str) -> str:
    """Why the message was sent by a machine (and must get no automatic answer), or ""."""
    submitted = str(msg.get("Auto-Submitted", "")).strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if msg.get(name) is not None:
            return f"{name} present"
    if str(msg.get("X-Auto-Response-Suppress", "")).strip().lower() in {"all", "oof"}:
        return "X-Auto-Response-Suppress"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "empty return path"
    local = sender.split("@")[0].lower()
    if local in {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"}:
        return f"sent from {local}"
    return ""


def _bounce(msg: Message) -> Bounce | None:
    """The delivery status notification this message is (RFC 3464), if it is one."""
    if msg.get_content_type() != "multipart/report":
        return None
    if str(msg.get_param("report-type", "")).lower() != "delivery-status":
        return None
    recipient = status = diagnostic = action = ""
    original = ""
    for part in _subparts(msg):
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in _subparts(part):
                if block.get("Final-Recipient") or block.get("Original-Recipient"):
                    field = str(block.get("Final-Recipient") or block.get("Original-Recipient"))
                    recipient = field.split(";", 1)[-1].strip()
                    status = str(block.get("Status", "")).strip()
                    action = str(block.get("Action", "")).strip().lower()
                    diagnostic = str(block.get("Diagnostic-Code", "")).strip()
                    break
        elif kind in {"text/rfc822-headers", "message/rfc822"}:
            original = str(_original_headers(part, kind).get("Message-ID", "")).strip()
    if not recipient:
        return None
    return Bounce(
        original_message_id=original,
        recipient=recipient,
        status=status,
        permanent=status.startswith("5") or action == "failed",
        diagnostic=diagnostic[:500],
    )


def _complaint(msg: Message) -> Complaint | None:
    """The feedback report this message is (RFC 5965), if it is one."""
    if msg.get_content_type() != "multipart/report":
        return None
    if str(msg.get_param("report-type", "")).lower() != "feedback-report":
        return None
    feedback_type = recipient = original = return_path = ""
    for part in _subparts(msg):
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            fields = _fields(part)
            feedback_type = fields.get("feedback-type", "abuse").lower()
            recipient = fields.get("original-rcpt-to", "")
        elif kind in {"text/rfc822-headers", "message/rfc822"}:
            headers = _original_headers(part, kind)
            original = str(headers.get("Message-ID", "")).strip()
            return_path = str(headers.get("Return-Path", "")).strip().strip("<>")
    if not feedback_type and not original:
        return None
    return Complaint(
        feedback_type=feedback_type or "abuse",
        original_message_id=original,
        original_return_path=return_path,
        original_recipient=recipient,
    )


def _fields(part: Message) -> dict[str, str]:
    """The "Name: value" lines of a report part, names in lower case."""
    inner = _subparts(part)
    if inner:
        return {k.lower(): str(v).strip() for k, v in inner[0].items()}
    payload = part.get_payload(decode=True) or b""
    text = payload.decode("latin-1") if isinstance(payload, bytes) else str(payload)
    found: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            found.setdefault(name.strip().lower(), value.strip())
    return found


def _original_headers(part: Message, kind: str) -> Message:
    inner = _subparts(part)
    if kind == "message/rfc822" and inner:
        return inner[0]
    raw = part.get_payload(decode=True) or b""
    return HeaderParser(policy=policy.default).parsestr(
        raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    )


def parse_email(raw: bytes) -> InboundMessage:
    problems: list[str] = []
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if msg.defects:
        problems += [type(d).__name__ for d in msg.defects]
    froms = _addresses(msg, "From", problems)
    sender_name, sender = froms[0] if froms else ("", "")
    recipients = [
        addr for _name, addr in (_addresses(msg, "To", problems) + _addresses(msg, "Cc", problems))
    ]
    leaves = _parts(msg)
    plain = next(
        (p for p in leaves if p.get_content_type() == "text/plain" and not _filename(p)), None
    )
    rich = next(
        (p for p in leaves if p.get_content_type() == "text/html" and not _filename(p)), None
    )
    html = sanitize(_text_of(rich, problems)) if rich is not None else ""
    if plain is not None:
        text = _text_of(plain, problems)
    elif rich is not None:
        text = html_to_text(_text_of(rich, problems))
    else:
        text = ""
    attachments = [_attachment(p) for p in leaves if p is not plain and p is not rich]
    text, html = text.replace("\x00", ""), html.replace("\x00", "")  # databases refuse NUL
    return InboundMessage(
        channel="email",
        external_id=_header(msg, "Message-ID", problems),
        sender=sender.lower() if sender else "",
        sender_name=sender_name.replace("\x00", ""),
        recipients=[r.lower() for r in recipients],
        subject=" ".join(_header(msg, "Subject", problems).replace("\x00", "").split()),
        text=text.replace("\r\n", "\n").strip(),
        html=html,
        attachments=attachments,
        in_reply_to=next(iter(_ids(_header(msg, "In-Reply-To", problems))), ""),
        references=_ids(_header(msg, "References", problems)),
        automatic=_automatic(msg, sender),
        bounce=_bounce(msg),
        complaint=_complaint(msg),
        problems=problems,
    )
