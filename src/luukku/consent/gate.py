"""The one gate every outbound marketing message passes: may this person be contacted
for this purpose on this channel, and why (or why not). Service messages (a reply on a
case) are not marketing; they pass `may_serve`, which only knows hard blocks."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from luukku.consent.models import Action, ConsentRecord, ConsentState, LawfulBasis, Purpose
from luukku.customers.models import Person
from luukku.customers.models.parties import Channel


@dataclass(frozen=True)
class Answer:
    allowed: bool
    reason: str  # a stable code: granted, never_granted, withdrawn, pending, ...
    explanation: str  # for people, in the active language
    record: ConsentRecord | None = None

    def __bool__(self) -> bool:
        return self.allowed


def _when(record: ConsentRecord) -> dict[str, str]:
    return {
        "date": formats.date_format(record.occurred_at, "SHORT_DATE_FORMAT"),
        "source": str(record.get_source_display()),
    }


def has_address(person: Person, channel: str) -> bool:
    """Whether the person has somewhere to send to on the channel that still works."""
    if channel == Channel.EMAIL:
        return person.emailaddresss.filter(bounced_at__isnull=True).exists()
    if channel in (Channel.SMS, Channel.PHONE):
        return person.phonenumbers.exists()
    if channel == Channel.LETTER:
        return person.postaladdresss.exists()
    return False


def may_serve(person: Person, channel: str) -> Answer:
    """Service messages need no consent, only an address that works."""
    if has_address(person, channel):
        return Answer(True, "reachable", _("A working address is on file."))
    return Answer(False, "no_address", _("No working address for this channel."))


def _state(person: Person, purpose: Purpose | None, channel: str) -> ConsentState | None:
    """The state for the channel, else for every channel of it."""
    states = {
        s.channel: s
        for s in ConsentState.objects.filter(
            person=person, purpose=purpose, channel__in=[channel, ""]
        ).select_related("record")
    }
    return states.get(channel) or states.get("")


def may_contact(person: Person, purpose: Purpose, channel: str) -> Answer:
    """May `person` get a marketing message for `purpose` on `channel`? With the reason."""
    if not purpose.is_active:
        return Answer(False, "purpose_inactive", _("The purpose is not in use."))
    if channel not in purpose.channels:
        return Answer(False, "channel_not_covered", _("The purpose does not cover this channel."))
    if purpose.lawful_basis == LawfulBasis.LEGAL_OBLIGATION:
        if not has_address(person, channel):
            return Answer(False, "no_address", _("No working address for this channel."))
        return Answer(True, "legal_obligation", _("A legal obligation; objections do not apply."))
    blocked = _state(person, None, channel)
    if blocked is not None and blocked.action == Action.WITHDRAWN:
        return Answer(
            False,
            "unsubscribed",
            _("Unsubscribed from all marketing on %(date)s (%(source)s).") % _when(blocked.record),
            blocked.record,
        )
    if not has_address(person, channel):
        return Answer(False, "no_address", _("No working address for this channel."))
    state = _state(person, purpose, channel)
    if state is not None and state.action == Action.WITHDRAWN:
        return Answer(
            False,
            "withdrawn",
            _("Withdrawn on %(date)s (%(source)s).") % _when(state.record),
            state.record,
        )
    if purpose.lawful_basis == LawfulBasis.CONSENT:
        if state is None:
            return Answer(False, "never_granted", _("Consent was never given."))
        if state.action == Action.REQUESTED:
            return Answer(
                False,
                "pending",
                _("Asked for on %(date)s; not yet confirmed.") % _when(state.record),
                state.record,
            )
        return Answer(
            True,
            "granted",
            _("Consent given on %(date)s (%(source)s).") % _when(state.record),
            state.record,
        )
    basis = str(LawfulBasis(purpose.lawful_basis).label)
    return Answer(
        True,
        "lawful_basis",
        _("%(basis)s; no objection recorded.") % {"basis": basis},
        state.record if state is not None else None,
    )
