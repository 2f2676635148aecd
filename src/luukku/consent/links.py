"""Signed links to the public consent pages: they name a person (and a request, or a
purpose and channel) and carry Django's HMAC signature, so they cannot be forged; those
that show or grant something expire, an unsubscribe link never does (it only withdraws).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from luukku.consent.models import ConsentRecord, Purpose
from luukku.customers.models import Person

CONFIRM_FOR = datetime.timedelta(days=7)
PREFERENCES_FOR = datetime.timedelta(days=400)  # a newsletter from last year still works

_CONFIRM = "luukku.consent.confirm"
_PREFERENCES = "luukku.consent.preferences"
_UNSUBSCRIBE = "luukku.consent.unsubscribe"


class LinkError(ValueError):
    """A link that was changed, made up or is too old."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _absolute(path: str) -> str:
    return f"{settings.LUUKKU_BASE_URL}{path}"


def confirmation_link(request: ConsentRecord) -> str:
    token = signing.TimestampSigner(salt=_CONFIRM).sign(str(request.pk))
    return _absolute(reverse("consent:confirm", args=[token]))


def preferences_link(person: Person) -> str:
    return preferences_link_of(person.pk)


def preferences_link_of(person_id: int) -> str:
    token = signing.TimestampSigner(salt=_PREFERENCES).sign(str(person_id))
    return _absolute(reverse("consent:preferences", args=[token]))


def unsubscribe_link(person: Person, purpose: Purpose | None, channel: str) -> str:
    """For a marketing message's footer and its List-Unsubscribe header (RFC 8058)."""
    return _absolute(
        reverse("consent:unsubscribe", args=[unsubscribe_token(person.pk, purpose, channel)])
    )


def unsubscribe_token(person_id: int, purpose: Purpose | None, channel: str) -> str:
    value = f"{person_id}:{purpose.pk if purpose else ''}:{channel}"
    return signing.Signer(salt=_UNSUBSCRIBE).sign(value)


def _unsign_timed(salt: str, token: str, max_age: datetime.timedelta) -> str:
    try:
        return signing.TimestampSigner(salt=salt).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError(expired=True) from None
    except signing.BadSignature:
        raise LinkError(expired=False) from None


def confirmed_request(token: str) -> ConsentRecord:
    value = _unsign_timed(_CONFIRM, token, CONFIRM_FOR)
    found = ConsentRecord.objects.select_related("person", "purpose").filter(pk=value).first()
    if found is None:
        raise LinkError(expired=False)
    return found


def person_of_preferences(token: str) -> Person:
    value = _unsign_timed(_PREFERENCES, token, PREFERENCES_FOR)
    found = Person.objects.filter(pk=value).first()
    if found is None:
        raise LinkError(expired=False)
    return found


@dataclass(frozen=True)
class Unsubscribe:
    person: Person
    purpose: Purpose | None
    channel: str


def unsubscribe_of(token: str) -> Unsubscribe:
    try:
        value = signing.Signer(salt=_UNSUBSCRIBE).unsign(token)
    except signing.BadSignature:
        raise LinkError(expired=False) from None
    person_id, purpose_id, channel = value.split(":")
    person = Person.objects.filter(pk=person_id).first()
    purpose = Purpose.objects.filter(pk=purpose_id).first() if purpose_id else None
    if person is None or (purpose_id and purpose is None):
        raise LinkError(expired=False)
    return Unsubscribe(person, purpose, channel)
