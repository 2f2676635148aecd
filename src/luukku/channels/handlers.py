"""Who handles what arrives. The desk registers itself at start-up; the channel layer
never imports the desk (it lies below it)."""

from __future__ import annotations

from collections.abc import Callable

from luukku.channels.inbound import InboundMessage
from luukku.channels.models import Mailbox

# (the message, the mailbox it came to) -> a short outcome for the receipt
InboundHandler = Callable[[InboundMessage, Mailbox], str]

_handlers: dict[str, InboundHandler] = {}


def register(channel: str, handler: InboundHandler) -> None:
    _handlers[channel] = handler


def handler_for(channel: str) -> InboundHandler:
    try:
        return _handlers[channel]
    except KeyError:
        raise LookupError(f"nothing handles {channel} messages") from None
