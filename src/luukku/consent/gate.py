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


def _reaches(person: Person, channel: str) -> bool:
    if channel == Channel.EMAIL:
        return person.emailaddresss.filter(bounced_at__isnull=True).exists()
    if channel in (Channel.SMS, Channel.PHONE):
        return person.phonenumbers.exists()
    if channel == Channel.LETTER:
        return person.postaladdresss.exists()
    return False


class Facts:
    """What the gate knows of one person: their consent states (read at once) and which
    channels reach them (read when first asked), however many questions follow."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.states = {
            (s.purpose_id, s.channel): s
            for s in ConsentState.objects.filter(person=person).select_related("record")
        }
        self._reach: dict[str, bool] = {}

    def state(self, purpose: Purpose | None, channel: str) -> ConsentState | None:
        """The state for the channel, else for every channel of it."""
        key = purpose.pk if purpose is not None else None
        return self.states.get((key, channel)) or self.states.get((key, ""))

    @property
    def unsubscribed_from_all(self) -> bool:
        """Whether a block on all marketing stands, on any channel."""
        return any(
            purpose_id is None and state.action == Action.WITHDRAWN
            for (purpose_id, _channel), state in self.states.items()
        )

    def reaches(self, channel: str) -> bool:
        """Whether the person has somewhere to send to on the channel that still works."""
        if channel not in self._reach:
            self._reach[channel] = _reaches(self.person, channel)
        return self._reach[channel]


def has_address(person: Person, channel: str) -> bool:
    return _reaches(person, channel)


def may_serve(person: Person, channel: str) -> Answer:
    """Service messages need no consent, only an address that works."""
    if has_address(person, channel):
        return Answer(True, "reachable", _("A working address is on file."))
    return Answer(False, "no_address", _("No working address for this channel."))


def may_contact(
    person: Person, purpose: Purpose, channel: str, *, facts: Facts | None = None
) -> Answer:
    """May `person` get a marketing message for `purpose` on `channel`? With the reason.
    Asking many questions of one person, pass their `Facts` (read once)."""
    known = facts or Facts(person)
    if not purpose.is_active:
        return Answer(False, "purpose_inactive", _("The purpose is not in use."))
    if channel not in purpose.channels:
        return Answer(False, "channel_not_covered", _("The purpose does not cover this channel."))
    if purpose.lawful_basis == LawfulBasis.LEGAL_OBLIGATION:
        if not known.reaches(channel):
            return Answer(False, "no_address", _("No working address for this channel."))
        return Answer(True, "legal_obligation", _("A legal obligation; objections do not apply."))
    blocked = known.state(None, channel)
    if blocked is not None and blocked.action == Action.WITHDRAWN:
        return Answer(
            False,
            "unsubscribed",
            _("Unsubscribed from all marketing on %(date)s (%(source)s).") % _when(blocked.record),
            blocked.record,
        )
    if not known.reaches(channel):
        return Answer(False, "no_address", _("No working address for this channel."))
    state = known.state(purpose, channel)
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
