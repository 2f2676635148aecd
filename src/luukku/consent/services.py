"""Writing the consent ledger: every grant, request and withdrawal is a new record with its
evidence; the state it leads to is written in the same transaction; the person's timeline
tells of it; and whoever keeps something derived from consent (segments) hears of it."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import django.dispatch
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.consent.models import Action, ConsentRecord, ConsentState, Purpose, PurposeText
from luukku.core.jobs import enqueue_on_commit
from luukku.core.models import Organization, User
from luukku.customers.actions.timeline import append_event
from luukku.customers.models import Person
from luukku.customers.models.parties import Channel

# Sent after a change of consent commits, with the persons concerned (`person_ids`).
consent_changed = django.dispatch.Signal()


@dataclass(frozen=True)
class Evidence:
    """Where a record comes from, and what proves it."""

    source: str
    occurred_at: datetime.datetime | None = None
    ip: str | None = None
    user_agent: str = ""
    actor: User | None = None
    details: dict[str, Any] = field(default_factory=dict)


def language_of(person: Person) -> str:
    """The person's language if the UI speaks it, else "" (the organization's)."""
    known = {code for code, _name in settings.LANGUAGES}
    return person.preferred_language if person.preferred_language in known else ""


def sender() -> Organization | None:
    """The organization public pages and consent mails speak for."""
    return Organization.objects.order_by("pk").first()


def current_text(purpose: Purpose, language: str) -> PurposeText | None:
    """The newest text of the purpose in the language, else in any language."""
    texts = purpose.texts.order_by("-version", "pk")
    return texts.filter(language=language).first() or texts.first()


def _channels_for(purpose: Purpose | None, channels: Sequence[str] | None) -> list[str]:
    allowed = list(purpose.channels) if purpose is not None else list(Channel.values)
    if channels is None:
        return [""] if purpose is None else allowed
    unknown = [c for c in channels if c not in allowed]
    if unknown:
        if purpose is None:
            raise ValidationError(_("Unknown channels: %(names)s") % {"names": ", ".join(unknown)})
        raise ValidationError(
            _("The purpose %(purpose)s does not cover: %(names)s")
            % {"purpose": purpose.name, "names": ", ".join(unknown)}
        )
    return list(channels)


@transaction.atomic
def record(
    person: Person,
    purpose: Purpose | None,
    action: str,
    evidence: Evidence,
    *,
    channels: Sequence[str] | None = None,
    text: PurposeText | None = None,
    confirms: ConsentRecord | None = None,
) -> list[ConsentRecord]:
    """Add one record per channel (all the purpose's channels when none are named; for
    no purpose, all marketing on every channel) and bring the state up to it, unless the
    state already stems from something newer (an import of old consents, say)."""
    if action not in Action.values:
        raise ValidationError(_("Unknown action: %(action)s") % {"action": action})
    if purpose is None and action == Action.REQUESTED:
        raise ValidationError(_("Ask for consent to a purpose, not to everything."))
    if purpose is not None and not purpose.is_active and action != Action.WITHDRAWN:
        raise ValidationError(_("The purpose %(name)s is not in use.") % {"name": purpose.name})
    chosen = _channels_for(purpose, channels)
    at = evidence.occurred_at or timezone.now()
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError(_("A consent cannot be dated in the future."))
    if text is None and purpose is not None and action != Action.WITHDRAWN:
        text = current_text(purpose, person.preferred_language)
    rows = [
        ConsentRecord.objects.create(
            person=person,
            purpose=purpose,
            channel=channel,
            action=action,
            source=evidence.source,
            text=text,
            occurred_at=at,
            ip=evidence.ip,
            user_agent=evidence.user_agent[:400],
            actor=evidence.actor,
            confirms=confirms,
            evidence=evidence.details,
        )
        for channel in chosen
    ]
    for row in rows:
        _bring_state_up_to(row)
    append_event(
        person,
        type=f"consent.{action}",
        occurred_at=at,
        org_unit=purpose.org_unit if purpose is not None else None,
        payload={
            "purpose": purpose.slug if purpose is not None else None,
            "channels": [c for c in chosen if c] or None,
            "source": evidence.source,
        },
    )
    transaction.on_commit(lambda: consent_changed.send(ConsentRecord, person_ids=[person.pk]))
    return rows


def _bring_state_up_to(row: ConsentRecord) -> None:
    state = (
        ConsentState.objects.select_for_update()
        .filter(person_id=row.person_id, purpose=row.purpose, channel=row.channel)
        .first()
    )
    if state is not None and state.since > row.occurred_at:
        return  # something newer decides
    if row.action == Action.REQUESTED and state is not None and state.action == Action.GRANTED:
        return  # already granted: asking again changes nothing until confirmed
    if state is None:
        ConsentState.objects.create(
            person_id=row.person_id,
            purpose=row.purpose,
            channel=row.channel,
            action=row.action,
            since=row.occurred_at,
            record=row,
        )
        return
    state.action, state.since, state.record = row.action, row.occurred_at, row
    state.save(update_fields=["action", "since", "record"])


def withdraw_everything(person: Person, evidence: Evidence) -> list[ConsentRecord]:
    """Unsubscribe from all marketing: each purpose granted or pending is withdrawn, and
    a block on all marketing is recorded, so purposes added later reach them neither."""
    with transaction.atomic():
        rows: list[ConsentRecord] = []
        held = (
            ConsentState.objects.filter(person=person, purpose__isnull=False)
            .exclude(action=Action.WITHDRAWN)
            .select_related("purpose")
        )
        by_purpose: dict[int, tuple[Purpose, list[str]]] = {}
        for state in held:
            assert state.purpose is not None
            by_purpose.setdefault(state.purpose.pk, (state.purpose, []))[1].append(state.channel)
        for purpose, channels in by_purpose.values():
            rows += record(person, purpose, Action.WITHDRAWN, evidence, channels=channels)
        rows += record(person, None, Action.WITHDRAWN, evidence)
        return rows


@transaction.atomic
def confirm(request: ConsentRecord, evidence: Evidence) -> list[ConsentRecord]:
    """The person followed the confirmation link of `request` (and of the requests made
    with it for the purpose's other channels): each becomes a grant."""
    siblings = ConsentRecord.objects.filter(
        person_id=request.person_id,
        purpose=request.purpose,
        action=Action.REQUESTED,
        occurred_at=request.occurred_at,
    ).select_related("purpose", "text", "person")
    granted: list[ConsentRecord] = []
    for asked in siblings:
        if asked.confirmed_by.exists():
            continue
        granted += record(
            asked.person,
            asked.purpose,
            Action.GRANTED,
            evidence,
            channels=[asked.channel],
            text=asked.text,
            confirms=asked,
        )
    return granted


@transaction.atomic
def ask_for_consent(
    person: Person,
    purpose: Purpose,
    evidence: Evidence,
    *,
    email: str,
    channels: Sequence[str] | None = None,
    text: PurposeText | None = None,
) -> list[ConsentRecord]:
    """Double opt-in: record the request and mail the confirmation link to `email` as
    soon as this commits; the grant takes effect only when the link is followed."""
    from luukku.consent.tasks import send_confirmation

    asked = record(
        person,
        purpose,
        Action.REQUESTED,
        Evidence(
            source=evidence.source,
            occurred_at=evidence.occurred_at,
            ip=evidence.ip,
            user_agent=evidence.user_agent,
            actor=evidence.actor,
            details={**evidence.details, "confirmation_to": email},
        ),
        channels=channels,
        text=text,
    )
    enqueue_on_commit(send_confirmation, asked[0].pk)
    return asked
