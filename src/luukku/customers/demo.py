"""Believable Nordic customers for the demo organization: students, tenants, gym members,
guardians of kindergarten children, identities from four source systems, and two years
of timeline. Deterministic (seeded) and idempotent; written in bulk so `make run` stays quick.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from luukku.core.models import OrgUnit
from luukku.customers import partitions
from luukku.customers.models import (
    CustomField,
    EmailAddress,
    Event,
    ExternalIdentity,
    Organization,
    Person,
    PhoneNumber,
    Relationship,
    RelationshipType,
    SourceSystem,
)

FIRST = {
    "nb": [
        "Kari",
        "Ola",
        "Ingrid",
        "Lars",
        "Sofie",
        "Jonas",
        "Nora",
        "Emil",
        "Ida",
        "Magnus",
        "Sigrid",
        "Henrik",
        "Thea",
        "Sander",
        "Maja",
        "Eirik",
        "Ane",
        "Håkon",
        "Marte",
        "Øystein",
    ],
    "fi": [
        "Aino",
        "Mikko",
        "Eveliina",
        "Juho",
        "Siiri",
        "Lauri",
        "Venla",
        "Eetu",
        "Helmi",
        "Ville",
        "Kerttu",
        "Aleksi",
        "Iida",
        "Oskari",
        "Linnea",
        "Tuomas",
        "Pihla",
        "Joonas",
        "Saara",
        "Jyrki",
    ],
    "sv": [
        "Elsa",
        "Erik",
        "Astrid",
        "Johan",
        "Saga",
        "Oskar",
        "Ebba",
        "Gustav",
        "Alva",
        "Axel",
        "Freja",
        "Nils",
        "Wilma",
        "Hugo",
        "Tilda",
        "Anton",
        "Signe",
        "Viktor",
        "Agnes",
        "Linus",
    ],
}
LAST = {
    "nb": [
        "Hansen",
        "Johansen",
        "Olsen",
        "Larsen",
        "Andersen",
        "Pedersen",
        "Nilsen",
        "Kristiansen",
        "Jensen",
        "Karlsen",
        "Berg",
        "Haugen",
        "Dahl",
        "Lie",
        "Solberg",
        "Bakken",
        "Strand",
        "Moen",
    ],
    "fi": [
        "Korhonen",
        "Virtanen",
        "Mäkinen",
        "Nieminen",
        "Mäkelä",
        "Hämäläinen",
        "Laine",
        "Heikkinen",
        "Koskinen",
        "Järvinen",
        "Lehtonen",
        "Lehtinen",
        "Saarinen",
        "Salminen",
        "Heinonen",
    ],
    "sv": [
        "Andersson",
        "Johansson",
        "Karlsson",
        "Nilsson",
        "Eriksson",
        "Larsson",
        "Olsson",
        "Persson",
        "Svensson",
        "Gustafsson",
        "Lindqvist",
        "Lindström",
        "Berglund",
        "Sandberg",
    ],
}
STREETS = ["Kringsjåveien", "Sognsveien", "Blindernveien", "Thereses gate", "Ullevålsveien"]
SOURCES = [
    ("sis", "Student administration", 200, "https://sis.nordby.test/students/{external_id}"),
    ("housing", "Housing system", 150, "https://housing.nordby.test/tenants/{external_id}"),
    ("fitness", "Fitness bookings", 100, ""),
    ("finance", "Finance", 120, "https://finance.nordby.test/customers/{external_id}"),
]
RELATIONSHIP_TYPES = [
    ("student_at", "student at", "has student", "organization"),
    ("tenant_at", "tenant at", "has tenant", "organization"),
    ("member_of", "member of", "has member", "organization"),
    ("employee_of", "employee of", "employer of", "organization"),
    ("guardian_of", "guardian of", "child of", "person"),
]
SCHOOLS = ["Nordby University", "Nordby University College", "Nordby School of Arts"]
BUILDINGS = ["Kringsjå student village", "Sogn student village", "Bjølsen student village"]


def _ascii(text: str) -> str:
    text = text.replace("ø", "o").replace("Ø", "O").replace("æ", "ae").replace("å", "a")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _schema() -> dict[str, SourceSystem]:
    sources = {}
    for code, name, priority, link in SOURCES:
        sources[code], _ = SourceSystem.objects.get_or_create(
            code=code, defaults={"name": name, "priority": priority, "deep_link": link}
        )
    for code, label, reverse, target in RELATIONSHIP_TYPES:
        RelationshipType.objects.get_or_create(
            code=code, defaults={"label": label, "reverse_label": reverse, "target": target}
        )
    for position, (key, label, kind, choices) in enumerate(
        [
            ("student_status", "Student status", "choice", ["active", "on_leave", "graduated"]),
            ("study_programme", "Study programme", "text", []),
            ("membership_level", "Membership level", "choice", ["basic", "plus", "premium"]),
        ]
    ):
        CustomField.objects.get_or_create(
            entity="person",
            key=key,
            defaults={"label": label, "kind": kind, "choices": choices, "position": position},
        )
    return sources


def _months(start: datetime.datetime, end: datetime.datetime) -> Iterator[datetime.datetime]:
    at = start
    while at < end:
        yield at
        at = (at.replace(day=1) + datetime.timedelta(days=32)).replace(day=min(at.day, 28))


@transaction.atomic
def load_customer_demo(units: dict[str, OrgUnit], *, persons: int = 3000, seed: int = 7) -> int:
    """Create `persons` demo customers and their history once. Returns how many were made."""
    sources = _schema()
    if Person.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    now = timezone.now().replace(microsecond=0)
    two_years_ago = now - datetime.timedelta(days=730)
    orgs = {
        name: Organization.objects.create(name=name, kind="school" if name in SCHOOLS else "other")
        for name in SCHOOLS + BUILDINGS + ["Nordby Fitness"]
    }
    types = {t.code: t for t in RelationshipType.objects.all()}

    people: list[Person] = []
    for _n in range(persons):
        language = rng.choice(["nb", "nb", "nb", "fi", "sv"])
        first, last = rng.choice(FIRST[language]), rng.choice(LAST[language])
        status = rng.choice(["active"] * 6 + ["on_leave", "graduated"])
        people.append(
            Person(
                first_name=first,
                last_name=last,
                full_name=f"{first} {last}",
                date_of_birth=datetime.date(
                    rng.randint(1975, 2007), rng.randint(1, 12), rng.randint(1, 28)
                ),
                preferred_language=language,
                preferred_channel=rng.choice(["email", "email", "sms"]),
                org_unit=units["nordby"],
                custom={"student_status": status},
                field_sources={"first_name": {"source": "sis", "at": two_years_ago.isoformat()}},
            )
        )
    people = Person.objects.bulk_create(people, batch_size=1000)
    emails, phones, identities, rels, events = [], [], [], [], []

    def event(
        person: Person, kind: str, at: datetime.datetime, unit: str, source: str, **payload: object
    ) -> None:
        events.append(
            Event(
                person=person,
                type=kind,
                occurred_at=at,
                recorded_at=at,
                source=source,
                org_unit=units[unit],
                sensitivity="restricted" if unit.startswith("health") else "normal",
                payload=payload,
            )
        )

    for n, p in enumerate(people):
        local = f"{_ascii(p.first_name)}.{_ascii(p.last_name)}{n}"
        emails.append(
            EmailAddress(
                person=p,
                address=f"{local}@students.nordby.test",
                address_lower=f"{local}@students.nordby.test",
                is_primary=True,
                kind="other",
                source="sis",
            )
        )
        phones.append(
            PhoneNumber(
                person=p,
                number=f"+47{rng.choice('49')}{rng.randint(1000000, 9999999)}",
                is_primary=True,
                kind="mobile",
                source="sis",
            )
        )
        identities.append(
            ExternalIdentity(source=sources["sis"], person=p, external_id=f"S{100000 + n}")
        )
        started = two_years_ago + datetime.timedelta(days=rng.randint(0, 300))
        school = orgs[rng.choice(SCHOOLS)]
        rels.append(
            Relationship(
                type=types["student_at"],
                person=p,
                other_organization=school,
                valid_from=started.date(),
                source="sis",
                org_unit=units["nordby"],
            )
        )
        event(p, "sis.semester_registered", started, "nordby", "sis", school=school.name)
        for semester in range(rng.randint(0, 3)):
            event(
                p,
                "sis.course_completed",
                started + datetime.timedelta(days=150 + 180 * semester),
                "nordby",
                "sis",
                credits=rng.choice([10, 15, 30]),
            )
        if rng.random() < 0.4:
            building = orgs[rng.choice(BUILDINGS)]
            moved_in = started + datetime.timedelta(days=rng.randint(0, 60))
            identities.append(
                ExternalIdentity(source=sources["housing"], person=p, external_id=f"H-{20000 + n}")
            )
            rels.append(
                Relationship(
                    type=types["tenant_at"],
                    person=p,
                    other_organization=building,
                    valid_from=moved_in.date(),
                    source="housing",
                    org_unit=units["housing"],
                )
            )
            event(
                p,
                "housing.contract_signed",
                moved_in,
                "housing",
                "housing",
                building=building.name,
                flat=f"H{rng.randint(1, 9)}{rng.randint(1, 40):02d}",
            )
            for month in _months(moved_in + datetime.timedelta(days=30), now):
                event(
                    p,
                    "housing.rent_paid",
                    month,
                    "housing",
                    "finance",
                    amount=rng.choice([4900, 5400, 6200]),
                )
        if rng.random() < 0.3:
            identities.append(
                ExternalIdentity(source=sources["fitness"], person=p, external_id=f"F{n:06d}")
            )
            rels.append(
                Relationship(
                    type=types["member_of"],
                    person=p,
                    other_organization=orgs["Nordby Fitness"],
                    source="fitness",
                    org_unit=units["fitness"],
                )
            )
            for _visit in range(rng.randint(2, 30)):
                event(
                    p,
                    "fitness.visit",
                    two_years_ago
                    + datetime.timedelta(days=rng.randint(0, 729), hours=rng.randint(6, 21)),
                    "fitness",
                    "fitness",
                    centre=rng.choice(["Domus Athletica", "Sogn Arena", "Njårdhallen"]),
                )
        if rng.random() < 0.05:
            event(
                p,
                "health.appointment",
                two_years_ago + datetime.timedelta(days=rng.randint(0, 729)),
                "health",
                "health",
                service=rng.choice(["GP", "dentist", "counselling"]),
            )
        if rng.random() < 0.3:
            event(
                p,
                "dining.meal_plan_bought",
                two_years_ago + datetime.timedelta(days=rng.randint(0, 729)),
                "dining",
                "finance",
                plan=rng.choice(["lunch", "full"]),
            )

    EmailAddress.objects.bulk_create(emails, batch_size=2000)
    PhoneNumber.objects.bulk_create(phones, batch_size=2000)
    ExternalIdentity.objects.bulk_create(identities, batch_size=2000)
    Relationship.objects.bulk_create(rels, batch_size=2000)
    # A few parents with children in the kindergartens.
    parents = rng.sample(people, k=min(len(people) // 20, 150))
    for parent in parents:
        child = Person.objects.create(
            first_name=rng.choice(FIRST[parent.preferred_language or "nb"]),
            last_name=parent.last_name,
            date_of_birth=datetime.date(
                rng.randint(2020, 2024), rng.randint(1, 12), rng.randint(1, 28)
            ),
            org_unit=units["kindergartens"],
        )
        Relationship.objects.create(
            type=types["guardian_of"],
            person=parent,
            other_person=child,
            source="luukku",
            org_unit=units["kindergartens"],
        )
        event(
            child,
            "kindergarten.child_enrolled",
            now - datetime.timedelta(days=rng.randint(30, 700)),
            "kindergartens",
            "luukku",
            kindergarten=rng.choice(["Blindern barnehage", "Sogn barnehage"]),
        )
    partitions.ensure_partitions(two_years_ago, now)
    Event.objects.bulk_create(events, batch_size=5000)
    return len(people) + len(parents)
