"""Signed addresses in campaign mail: a link's click, the open pixel, the unsubscribe
link and the bounce address (VERP) each name their delivery and carry an HMAC of it, so
none can be made up or changed. A click is redirected only to the link the run holds
at that place, never to an address taken from the request: no open redirect.

The HMAC is keyed by a key derived from the secret key, and cut to 16 characters
(96 bits): enough against guessing, short enough for a bounce address's local part.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from django.conf import settings


@functools.cache
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"luukku.campaigns.tracking:" + secret.encode()).digest()


def sign(kind: str, *parts: int) -> str:
    message = ":".join([kind, *map(str, parts)]).encode()
    digest = hmac.new(_key(settings.SECRET_KEY), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def valid(signature: str, kind: str, *parts: int) -> bool:
    return hmac.compare_digest(signature.encode(), sign(kind, *parts).encode())


def click_url(delivery_id: int, position: int) -> str:
    signature = sign("click", delivery_id, position)
    return f"{settings.LUUKKU_BASE_URL}/t/c/{delivery_id}/{position}/{signature}/"


def open_url(delivery_id: int) -> str:
    return f"{settings.LUUKKU_BASE_URL}/t/o/{delivery_id}/{sign('open', delivery_id)}.gif"


def preferences_url(delivery_id: int) -> str:
    """Redirects to a fresh link to the person's preference page (campaigns/public_views)."""
    signature = sign("preferences", delivery_id)
    return f"{settings.LUUKKU_BASE_URL}/t/p/{delivery_id}/{signature}/"


def message_id(run_id: int, delivery_id: int, domain: str) -> str:
    """Unique beyond this installation (its own token), the same on every attempt."""
    return f"<{run_id}.{delivery_id}.{_installation(settings.SECRET_KEY)}@{domain}>"


@functools.cache
def _installation(secret: str) -> str:
    return hashlib.sha256(b"luukku.message-id:" + secret.encode()).hexdigest()[:10]


def unsubscribe_url(delivery_id: int) -> str:
    return f"{settings.LUUKKU_BASE_URL}/t/u/{delivery_id}/{sign('unsubscribe', delivery_id)}/"


def _bounce_signature(delivery_id: int) -> str:
    # Lower-case hex: some servers change the case of a local part.
    message = f"bounce:{delivery_id}".encode()
    return hmac.new(_key(settings.SECRET_KEY), message, hashlib.sha256).hexdigest()[:16]


def bounce_address(delivery_id: int, domain: str) -> str:
    """bounce+<delivery>-<signature>@domain: a bounce names its recipient (VERP)."""
    return f"bounce+{delivery_id}-{_bounce_signature(delivery_id)}@{domain}"


def delivery_of_bounce(local_part: str) -> int | None:
    """The delivery a bounce address names, or None for one that was not ours."""
    if not local_part.startswith("bounce+"):
        return None
    number, _dash, signature = local_part.lower().removeprefix("bounce+").partition("-")
    if not number.isdigit():
        return None
    expected = _bounce_signature(int(number))
    return int(number) if hmac.compare_digest(signature.encode(), expected.encode()) else None
