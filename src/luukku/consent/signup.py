"""A landing page's form sent: the person found by email or created, their empty fields
filled in, each ticked consent asked for by double opt-in, the answers kept as evidence
and on the timeline. All of it or nothing; bots and floods get nothing recorded."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from luukku.consent.landing import HONEYPOT
from luukku.consent.models import ConsentRecord, LandingPage, Purpose, Submission
from luukku.consent.services import Evidence, ask_for_consent
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party, update_party
from luukku.customers.actions.timeline import append_event
from luukku.customers.models import EmailAddress, Person

# At most this many sendings from one address in the window (a household, an office).
RATE_LIMIT = 10
RATE_WINDOW = datetime.timedelta(minutes=10)
NAME_FIELDS = ("first_name", "last_name", "date_of_birth")


class TooMany(Exception):
    """Too many sendings from one network address: nothing recorded."""


@dataclass
class Sent:
    person: Person | None  # None: a bot's sending, recorded nowhere
    created: bool = False
    asked: list[ConsentRecord] = field(default_factory=list)


def too_many(ip: str | None) -> bool:
    if not ip:
        return False
    since = timezone.now() - RATE_WINDOW
    return Submission.objects.filter(ip=ip, submitted_at__gte=since).count() >= RATE_LIMIT


def submit(
    page: LandingPage, form_data: dict[str, Any], evidence: Evidence, texts: dict[str, Any]
) -> Sent:
    """`form_data` is the page form's cleaned data; `texts` the consent texts it showed."""
    if form_data.get(HONEYPOT):
        return Sent(person=None)  # answered like a success, so the bot learns nothing
    if too_many(evidence.ip):
        raise TooMany
    with transaction.atomic():
        person, created, differs = _person(page, form_data)
        answers = _answers(page, form_data)
        if differs:
            answers["differs_from_profile"] = differs
        submission = Submission.objects.create(
            page=page,
            person=person,
            ip=evidence.ip,
            user_agent=evidence.user_agent[:400],
            answers=answers,
            created_person=created,
        )
        proof = Evidence(
            source=evidence.source,
            ip=evidence.ip,
            user_agent=evidence.user_agent,
            details={"page": page.slug, "submission": submission.pk},
        )
        asked: list[ConsentRecord] = []
        for index, block in enumerate(page.blocks):
            name = f"consent_{index}"
            if block.get("type") == "consent" and form_data.get(name):
                purpose = Purpose.objects.get(slug=block["purpose"])
                asked += ask_for_consent(
                    person,
                    purpose,
                    proof,
                    email=form_data["email"],
                    channels=block.get("channels") or None,
                    text=texts.get(name),
                )
        append_event(
            person,
            type="form.submitted",
            org_unit=page.org_unit,
            payload={"page": page.slug, "answers": answers},
        )
        return Sent(person=person, created=created, asked=asked)


def _answers(page: LandingPage, form_data: dict[str, Any]) -> dict[str, Any]:
    """The choices made, by their short names (profile fields go to the profile)."""
    return {
        block["name"]: form_data.get(f"choice_{block['name']}")
        for block in page.blocks
        if block.get("type") == "choice"
    }


def _person(page: LandingPage, data: dict[str, Any]) -> tuple[Person, bool, dict[str, Any]]:
    """The person with the email address, else a new one. An existing person's empty
    fields are filled in; a value that differs is not written over (anyone can type an
    address into a public form) but kept with the submission for staff to look at."""
    email = data["email"]
    found = (
        EmailAddress.objects.filter(address_lower=email.lower(), person__isnull=False)
        .order_by("person_id")
        .select_related("person")
        .first()
    )
    values = {k: data[k] for k in NAME_FIELDS if data.get(k)}
    custom = {
        k.removeprefix("custom:"): v
        for k, v in data.items()
        if k.startswith("custom:") and v not in (None, "", [])
    }
    phones = [{"number": data["phone"], "kind": "mobile"}] if data.get("phone") else None
    if found is None:
        outcome = create_party(
            Person,
            values={**values, "preferred_language": page.language},
            custom=custom,
            contacts=ContactChanges(emails=[{"address": email, "is_primary": True}], phones=phones),
            org_unit=page.org_unit,
            by=None,
        )
        return outcome.party, True, {}  # type: ignore[return-value]
    person = found.person
    assert person is not None
    fill = {k: v for k, v in values.items() if not getattr(person, k)}
    differs = {k: v for k, v in values.items() if getattr(person, k) and getattr(person, k) != v}
    custom_fill = {k: v for k, v in custom.items() if person.custom.get(k) in (None, "", [])}
    if fill or custom_fill or phones:
        update_party(
            person,
            values=fill,
            custom=custom_fill,
            contacts=ContactChanges(phones=phones) if phones else None,
            replace_contacts=False,
            by=None,
        )
    return person, False, {k: str(v) for k, v in differs.items()}
