"""What a campaign's content may say about its recipient: the person's fields, custom
fields, contact points, relationships in force and segments, and the links to
unsubscribe and to choose. Only what the sending unit may see; a template asking for
anything else is refused before it is sent.

Read for many recipients at once (`variables_for`): a few queries per batch, not per
person."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from luukku.consent.links import preferences_link, unsubscribe_link
from luukku.customers.models import (
    CustomField,
    EmailAddress,
    Person,
    PhoneNumber,
    PostalAddress,
    Relationship,
)
from luukku.customers.models.parties import Sensitivity
from luukku.desk.models import DONE, Case
from luukku.segments.models import Membership

PERSON_FIELDS = ("id", "first_name", "last_name", "full_name", "preferred_language", "custom")


def _firsts(rows: Iterable[tuple[int, str]]) -> dict[int, str]:
    """The first value per person of rows ordered primary first."""
    found: dict[int, str] = {}
    for person_id, value in rows:
        found.setdefault(person_id, value)
    return found


# What of a person each part of the variables needs read (beyond the person's row).
NEEDS = {
    "email": "emails",
    "phone": "phones",
    "city": "places",
    "postal_code": "places",
    "relationships": "relationships",
    "segments": "segments",
    "open_cases": "cases",
    "last_case": "cases",
}
EVERYTHING = frozenset(NEEDS.values())


def needs_of(templates: Iterable[Any]) -> frozenset[str]:
    """What the templates (python-liquid BoundTemplates) read of the person, so a batch
    reads no more than that; everything when a template uses the person as a whole."""
    found: set[str] = set()
    for template in templates:
        for segments in template.global_variable_segments():
            if not segments or segments[0] != "person":
                continue
            if len(segments) == 1 or not isinstance(segments[1], str):
                return EVERYTHING
            if segments[1] in NEEDS:
                found.add(NEEDS[segments[1]])
    return frozenset(found)


def variables_for(
    person_ids: list[int], needs: frozenset[str] = EVERYTHING
) -> dict[int, dict[str, Any]]:
    """{person id: {"person": {...}}} for each of the persons that exists; of contact
    points, relationships and segments only what `needs` names (the rest left empty)."""
    fields = dict(
        CustomField.objects.filter(entity=CustomField.Entity.PERSON).values_list(
            "key", "sensitivity"
        )
    )
    hidden = {key for key, sensitivity in fields.items() if sensitivity == Sensitivity.RESTRICTED}
    # Every field a template may name, empty where the person has no value, so that a
    # `default` fills it in instead of the message failing for that person.
    blank = {key: "" for key in fields if key not in hidden}
    ids = person_ids
    emails = _firsts(
        EmailAddress.objects.filter(
            person_id__in=_if("emails", needs, ids), bounced_at__isnull=True
        )
        .order_by("person_id", "-is_primary", "pk")
        .values_list("person_id", "address")
    )
    phones = _firsts(
        PhoneNumber.objects.filter(person_id__in=_if("phones", needs, ids))
        .order_by("person_id", "-is_primary", "pk")
        .values_list("person_id", "number")
    )
    places: dict[int, tuple[str, str]] = {}
    for person_id, city, postal_code in (
        PostalAddress.objects.filter(person_id__in=_if("places", needs, ids))
        .order_by("person_id", "-is_primary", "pk")
        .values_list("person_id", "city", "postal_code")
    ):
        places.setdefault(person_id, (city, postal_code))
    relationships: dict[int, list[dict[str, str]]] = defaultdict(list)
    for r in (
        Relationship.objects.valid_on(timezone.localdate())
        .filter(person_id__in=_if("relationships", needs, ids), sensitivity=Sensitivity.NORMAL)
        .select_related("type", "other_person", "other_organization")
        .order_by("person_id", "pk")
    ):
        other = r.other_person or r.other_organization
        relationships[r.person_id].append({"type": r.type.code, "other": str(other)})
    segments: dict[int, list[str]] = defaultdict(list)
    for person_id, slug in (
        Membership.objects.filter(person_id__in=_if("segments", needs, ids))
        .order_by("person_id", "segment__slug")
        .values_list("person_id", "segment__slug")
    ):
        segments[person_id].append(slug)
    cases = _cases(_if("cases", needs, ids))
    found = {}
    for pk, first, last, name, language, custom in Person.objects.filter(
        pk__in=person_ids
    ).values_list(*PERSON_FIELDS):
        city, postal_code = places.get(pk, ("", ""))
        found[pk] = {
            "person": {
                "id": pk,
                "first_name": first,
                "last_name": last,
                "name": name,
                "language": language,
                "email": emails.get(pk, ""),
                "phone": phones.get(pk, ""),
                "city": city,
                "postal_code": postal_code,
                "custom": blank | {k: v for k, v in (custom or {}).items() if k not in hidden},
                "relationships": relationships[pk],
                "segments": segments[pk],
                "open_cases": cases.get(pk, (0, NO_CASE))[0],
                "last_case": cases.get(pk, (0, NO_CASE))[1],
            }
        }
    return found


# A person without cases: the same keys, empty, so `default` fills them in.
NO_CASE: dict[str, Any] = {"number": "", "subject": "", "status": "", "queue": "", "opened": ""}


def _cases(person_ids: list[int]) -> dict[int, tuple[int, dict[str, Any] | None]]:
    """Per person: how many cases are open, and the newest case (number, subject, status,
    queue, opened); never restricted cases (a health service's stay out of marketing)."""
    found: dict[int, tuple[int, dict[str, Any] | None]] = {}
    rows = (
        Case.objects.filter(person_id__in=person_ids, sensitivity=Sensitivity.NORMAL)
        .order_by("person_id", "-created_at")
        .values_list("person_id", "number", "subject", "status", "queue__name", "created_at")
    )
    for person_id, number, subject, status, queue, created in rows:
        open_count, last = found.get(person_id, (0, None))
        if last is None:
            last = {
                "number": number,
                "subject": subject,
                "status": status,
                "queue": queue,
                "opened": created.date().isoformat(),
            }
        found[person_id] = (open_count + (status not in DONE), last)
    return found


def _if(need: str, needs: frozenset[str], ids: list[int]) -> list[int]:
    """The ids to read for `need`: none when it is not needed (an IN () reads nothing)."""
    return ids if need in needs else []


def person_variables(person: Person) -> dict[str, Any]:
    """{"person": {...}, and the person's own links}: the recipient as Liquid sees them."""
    variables = variables_for([person.pk])[person.pk]
    variables["unsubscribe_url"] = unsubscribe_link(person, None, "email")
    variables["preferences_url"] = preferences_link(person)
    return variables


def sample_variables() -> dict[str, Any]:
    """A recipient with every variable there is, for checking a template before it is
    used: each custom field (not restricted) has a value, each list an item."""
    custom = {
        key: "x"
        for key in CustomField.objects.filter(
            entity=CustomField.Entity.PERSON, sensitivity=Sensitivity.NORMAL
        ).values_list("key", flat=True)
    }
    return {
        "person": {
            "id": 1,
            "first_name": "Ingrid",
            "last_name": "Haugen",
            "name": "Ingrid Haugen",
            "language": "nb",
            "email": "ingrid@example.test",
            "phone": "+4791234567",
            "city": "Oslo",
            "postal_code": "0155",
            "custom": custom,
            "relationships": [{"type": "tenant", "other": "Moholt 7"}],
            "segments": ["example"],
            "open_cases": 1,
            "last_case": {
                "number": 1042,
                "subject": "Key lost",
                "status": "open",
                "queue": "Housing",
                "opened": "2026-01-15",
            },
        },
        "unsubscribe_url": "https://example.test/p/unsubscribe/sample/",
        "preferences_url": "https://example.test/p/preferences/sample/",
    }
