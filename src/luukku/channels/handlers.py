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


# [(key, message, mailbox), ...] -> ({key: outcome} of those handled, [keys left over],
# [keys waiting]): many messages at once; what is left over goes to the one-by-one
# handler, in order; what waits (for a message another process is handling) is offered
# again a moment later.
BatchHandler = Callable[
    [list[tuple[int, InboundMessage, Mailbox]]],
    tuple[dict[int, str], list[int], list[int]],
]

_batch_handlers: dict[str, BatchHandler] = {}


def register_batch(channel: str, handler: BatchHandler) -> None:
    _batch_handlers[channel] = handler


def batch_handler_for(channel: str) -> BatchHandler | None:
    return _batch_handlers.get(channel)


# (origin id, status, error) -> None: the origin learns how its message fared.
DeliveryListener = Callable[[int, str, str], None]

_listeners: dict[str, DeliveryListener] = {}


def on_delivery(kind: str, listener: DeliveryListener) -> None:
    _listeners[kind] = listener


def tell(origin: str, status: str, error: str = "") -> None:
    """Report a delivery to whoever queued it (`origin` is "<kind>:<id>")."""
    kind, _sep, ident = origin.partition(":")
    if kind in _listeners and ident.isdigit():
        _listeners[kind](int(ident), status, error)
