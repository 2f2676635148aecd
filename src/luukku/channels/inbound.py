"""What every channel turns an arriving message into, whatever the protocol.

The desk reads only these: it never knows whether a message came by IMAP, SMTP,
SMS or a web form.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str  # as declared by the sender; sniffed again when stored
    data: bytes
    content_id: str = ""  # for inline images referenced as cid: in the HTML
    inline: bool = False


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification (RFC 3464) about a message we sent."""

    original_message_id: str
    recipient: str
    status: str  # e.g. 5.1.1
    permanent: bool
    diagnostic: str = ""


@dataclass(frozen=True)
class Complaint:
    """A feedback report (RFC 5965 ARF): a recipient marked a message we sent as spam."""

    feedback_type: str  # abuse, fraud, ...
    original_message_id: str
    original_return_path: str = ""
    original_recipient: str = ""


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    external_id: str  # the channel's id of the message (email: Message-ID)
    sender: str  # address
    sender_name: str
    recipients: list[str]
    subject: str
    text: str
    html: str = ""  # sanitized
    attachments: list[InboundAttachment] = field(default_factory=list)
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    # Why the message must not be answered automatically (RFC 3834), or "" when it may.
    automatic: str = ""
    bounce: Bounce | None = None
    complaint: Complaint | None = None
    problems: list[str] = field(default_factory=list)  # what was repaired while reading it

    @property
    def thread_ids(self) -> list[str]:
        """The ids of the messages it answers: In-Reply-To first, then References."""
        return [self.in_reply_to, *self.references] if self.in_reply_to else self.references
