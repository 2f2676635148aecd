"""One search box for persons and organizations.

Identifiers first: an email address, a phone number in any common format, an
external id. Then names: typo-tolerant trigram word similarity on
PostgreSQL (the GIN indexes of migration 0002), substring matching on SQLite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from luukku.core.models import User
from luukku.customers.access import organizations_visible_to, persons_visible_to
from luukku.customers.models import (
    EmailAddress,
    ExternalIdentity,
    Organization,
    Person,
    PhoneNumber,
)
from luukku.customers.validation import phone_search_forms

PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{5,}$")


@dataclass(frozen=True)
class Hit:
    kind: str  # "person" or "organization"
    id: int
    name: str
    matched: str  # what matched: "email", "phone", "identity", "name"
    detail: str
    score: float


def _exact_hits(
    text: str, persons: QuerySet[Person], organizations: QuerySet[Organization]
) -> list[Hit]:
    hits: list[Hit] = []
    if "@" in text:
        for email in EmailAddress.objects.filter(address_lower=text.lower()).select_related(
            "person", "organization"
        )[:20]:
            hits += _owner_hit(email, "email", email.address, persons, organizations)
    if PHONE_LIKE.match(text):
        forms = phone_search_forms(text)
        if forms:
            for phone in PhoneNumber.objects.filter(number__in=forms).select_related(
                "person", "organization"
            )[:20]:
                hits += _owner_hit(phone, "phone", phone.number, persons, organizations)
    for identity in ExternalIdentity.objects.filter(external_id=text).select_related(
        "person", "organization", "source"
    )[:20]:
        hits += _owner_hit(identity, "identity", str(identity), persons, organizations)
    return hits


def _owner_hit(
    row: EmailAddress | PhoneNumber | ExternalIdentity,
    matched: str,
    detail: str,
    persons: QuerySet[Person],
    organizations: QuerySet[Organization],
) -> list[Hit]:
    if row.person_id and persons.filter(pk=row.person_id).exists():
        return [Hit("person", row.person_id, str(row.person), matched, detail, 2.0)]
    if row.organization_id and organizations.filter(pk=row.organization_id).exists():
        return [
            Hit("organization", row.organization_id, str(row.organization), matched, detail, 2.0)
        ]
    return []


def _prefix_hits(
    text: str, persons: QuerySet[Person], organizations: QuerySet[Organization], limit: int
) -> list[Hit]:
    """Names that start with what was typed ("Kari Nor"): a B-tree prefix scan, the fast path."""
    people = persons.filter(full_name__istartswith=text).values_list("pk", "full_name")[:limit]
    orgs = organizations.filter(name__istartswith=text).values_list("pk", "name")[:limit]
    return [Hit("person", pk, name, "name", "", 1.6) for pk, name in people] + [
        Hit("organization", pk, name, "name", "", 1.6) for pk, name in orgs
    ]


def _name_hits(
    text: str, persons: QuerySet[Person], organizations: QuerySet[Organization], limit: int
) -> list[Hit]:
    if connection.vendor == "postgresql":
        # Every word must resemble a word of the name: the index intersects the words'
        # matches, so a common first name does not drag in every namesake.
        words = [w for w in text.split() if len(w) >= 2] or [text]
        # UPPER(full_name): the one trigram index on names (trigrams ignore case anyway).
        people = (
            persons.alias(upper_name=Upper("full_name"))
            .filter(*[Q(upper_name__trigram_word_similar=w.upper()) for w in words])
            .annotate(score=TrigramWordSimilarity(text, "full_name"))
            .order_by("-score", "full_name")[:limit]
        )
        orgs = (
            organizations.filter(*[Q(name__trigram_word_similar=w) for w in words])
            .annotate(score=TrigramWordSimilarity(text, "name"))
            .order_by("-score", "name")[:limit]
        )
        person_rows = [(p.pk, p.full_name, float(p.score)) for p in people]
        org_rows = [(o.pk, o.name, float(o.score)) for o in orgs]
    else:
        words = text.split()
        query = Q()
        for word in words:
            query &= Q(full_name__icontains=word)
        person_rows = [
            (pk, name, 1.0)
            for pk, name in persons.filter(query).values_list("pk", "full_name")[:limit]
        ]
        org_query = Q()
        for word in words:
            org_query &= Q(name__icontains=word)
        org_rows = [
            (pk, name, 1.0)
            for pk, name in organizations.filter(org_query).values_list("pk", "name")[:limit]
        ]
    lowered = text.lower()
    hits = [
        Hit(
            "person", pk, name, "name", "", score + (0.5 if name.lower().startswith(lowered) else 0)
        )
        for pk, name, score in person_rows
    ]
    hits += [
        Hit(
            "organization",
            pk,
            name,
            "name",
            "",
            score + (0.5 if name.lower().startswith(lowered) else 0),
        )
        for pk, name, score in org_rows
    ]
    return hits


# pg_trgm's default (0.6) misses common Nordic spelling variants (Lindqvist/Lindkvist).
WORD_SIMILARITY_THRESHOLD = 0.4


def search(actor: User, text: str, *, limit: int = 20) -> list[Hit]:
    text = text.strip()
    if len(text) < 2:
        return []
    persons = persons_visible_to(actor)
    organizations = organizations_visible_to(actor)
    hits = _exact_hits(text, persons, organizations)
    looks_like_identifier = "@" in text or bool(PHONE_LIKE.match(text))
    if not hits and not looks_like_identifier:
        hits = _prefix_hits(text, persons, organizations, limit)
    if (
        len(hits) < limit
        and not looks_like_identifier
        and not any(h.matched != "name" for h in hits)
    ):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                        [str(WORD_SIMILARITY_THRESHOLD)],
                    )
            hits += _name_hits(text, persons, organizations, limit)
    best: dict[tuple[str, int], Hit] = {}
    for hit in hits:
        key = (hit.kind, hit.id)
        if key not in best or hit.score > best[key].score:
            best[key] = hit
    return sorted(best.values(), key=lambda h: (-h.score, h.name))[:limit]
