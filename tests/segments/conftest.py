from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from luukku.consent.models import LawfulBasis, Purpose, Source
from luukku.consent.purposes import save_purpose
from luukku.consent.services import Evidence, record
from luukku.core.models import Role, User
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.actions.relationships import create_relationship
from luukku.customers.actions.timeline import append_event
from luukku.customers.models import Organization, Person, RelationshipType
from luukku.desk.models import Queue
from luukku.desk.services import open_case
from tests.conftest import Tree
from tests.factories import user_with


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=days)


def person(
    name: str, *, born: dt.date | None = None, city: str = "", email: bool = True, **extra: Any
) -> Person:
    contacts = ContactChanges(
        emails=[{"address": f"{name.lower()}@example.test"}] if email else None,
        addresses=[{"street": "Storgata 1", "postal_code": "0155", "city": city}] if city else None,
    )
    return create_party(
        Person,
        values={"first_name": name, "last_name": "Test", "date_of_birth": born, **extra},
        contacts=contacts,
        by=None,
    ).party  # type: ignore[return-value]


def clicked(who: Person, days_ago: int, **payload: Any) -> None:
    append_event(
        who,
        type="campaign.clicked",
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        payload=payload,
    )


@dataclass
class People:
    tree: Tree
    news: Purpose
    housing: Queue
    tenant: RelationshipType
    building: Organization
    anna: Person  # 25, Oslo, consents, clicked 10 days ago: in
    bjorn: Person  # 25, Oslo, consents, clicked 10 days ago, but a case 2 days ago: out
    cecilie: Person  # 40, Oslo, consents, clicked: too old
    dag: Person  # 22, Bergen, consents, clicked: elsewhere
    eva: Person  # 28, Oslo, clicked, but never consented
    frida: Person  # 30, Oslo, consents, clicked 200 days ago: too long ago
    marketer: User


@pytest.fixture
def people(tree: Tree) -> People:
    news = save_purpose(
        Purpose(
            name="News",
            slug="news",
            org_unit=tree.root,
            lawful_basis=LawfulBasis.CONSENT,
            channels=["email", "sms"],
        ),
        by=None,
    )
    housing = Queue.objects.create(name="Housing", slug="housing", org_unit=tree.housing)
    tenant = RelationshipType.objects.create(
        code="tenant", label="tenant at", reverse_label="tenant", target="organization"
    )
    building = create_party(Organization, values={"name": "Moholt 7"}, by=None).party
    anna = person("Anna", born=years_ago(25), city="Oslo")
    bjorn = person("Bjorn", born=years_ago(25, 100), city="oslo")
    cecilie = person("Cecilie", born=years_ago(40), city="Oslo")
    dag = person("Dag", born=years_ago(22), city="Bergen")
    eva = person("Eva", born=years_ago(28), city="Oslo")
    frida = person("Frida", born=years_ago(30), city="Oslo")
    for someone in (anna, bjorn, cecilie, dag, frida):
        record(someone, news, "granted", Evidence(source=Source.FORM), channels=["email"])
    for someone in (anna, bjorn, cecilie, dag, eva):
        clicked(someone, 10, campaign="spring", link="https://example.test/a")
    clicked(frida, 200, campaign="spring")
    open_case(queue=housing, subject="Noise", by=None, person=bjorn)
    create_relationship(type=tenant, person=anna, other=building, by=None)  # type: ignore[arg-type]
    create_relationship(
        type=tenant,
        person=cecilie,
        other=building,
        valid_to=years_ago(1),
        by=None,  # type: ignore[arg-type]
    )
    return People(
        tree=tree,
        news=news,
        housing=housing,
        tenant=tenant,
        building=building,
        anna=anna,
        bjorn=bjorn,
        cecilie=cecilie,
        dag=dag,
        eva=eva,
        frida=frida,
        marketer=user_with(Role.MARKETER, tree.root, username="maria"),
    )


FOUR_CONDITIONS = {
    "all": [
        {"kind": "attribute", "field": "age", "op": "between", "value": [19, 30]},
        {"kind": "attribute", "field": "city", "op": "eq", "value": "Oslo"},
        {"kind": "consent", "purpose": "news", "channel": "email", "state": "contactable"},
        {"kind": "event", "type": "campaign.clicked", "within_days": 90},
        {"not": {"kind": "case", "within_days": 7}},
    ]
}
