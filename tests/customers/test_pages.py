from __future__ import annotations

import datetime
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from luukku.core.models import AuditEntry, User
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.actions.relationships import create_relationship
from luukku.customers.actions.timeline import NewEvent, append_events
from luukku.customers.models import Person, RelationshipType
from tests.customers.conftest import Setup

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_person(setup: Setup, last: str = "Nordmann", **kw) -> Person:  # type: ignore[no-untyped-def]
    person = create_party(
        Person,
        values={"first_name": "Kari", "last_name": last},
        contacts=ContactChanges(
            emails=[{"address": f"{last.lower()}@example.test"}], phones=[{"number": "412 34 567"}]
        ),
        identity=(setup.sis, f"S-{last}", {}),
        by=None,
        **kw,
    ).party
    assert isinstance(person, Person)
    return person


def add_events(person: Person, n: int, type_: str = "housing.rent_paid") -> None:
    start = timezone.now() - datetime.timedelta(days=n)
    append_events(
        [
            NewEvent(
                person_id=person.pk,
                type=type_,
                occurred_at=start + datetime.timedelta(days=i),
                source="housing",
                payload={"amount": 5400 + i},
            )
            for i in range(n)
        ]
    )


def test_the_profile_shows_the_whole_customer_and_is_audited(setup: Setup) -> None:
    person = make_person(setup)
    add_events(person, 3)
    client = logged_in(setup.housing_agent)

    page = client.get(f"/customers/persons/{person.pk}/").content.decode()

    assert "Kari Nordmann" in page
    assert "nordmann@example.test" in page and "+4741234567" in page
    assert "Open in Student administration" in page
    assert "https://sis.example.test/students/S-Nordmann" in page
    assert page.count('class="event ') == 4  # 3 rent payments + created
    assert AuditEntry.objects.filter(
        action="view", object_type="customers.person", object_id=str(person.pk), via="web"
    ).exists()


def test_a_restricted_person_is_refused_to_other_units(setup: Setup) -> None:
    patient = make_person(setup, "Patient", org_unit=setup.tree.health, sensitivity="restricted")

    assert (
        logged_in(setup.housing_agent).get(f"/customers/persons/{patient.pk}/").status_code == 403
    )
    assert logged_in(setup.health_agent).get(f"/customers/persons/{patient.pk}/").status_code == 200


def test_the_timeline_loads_older_pages_as_you_scroll(setup: Setup) -> None:
    person = make_person(setup)
    add_events(person, 60)
    client = logged_in(setup.housing_agent)

    first = client.get(f"/customers/persons/{person.pk}/").content.decode()
    cursor = unquote(first.split("cursor=")[1].split('"')[0])
    more = client.get(
        f"/customers/persons/{person.pk}/timeline/",
        {"cursor": cursor},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    filtered = client.get(f"/customers/persons/{person.pk}/", {"type": "luukku."}).content.decode()

    assert first.count('class="event ') == 25
    assert more.count('class="event ') == 25
    assert "<html" not in more
    assert filtered.count('class="event ') == 1


def test_search_by_phone_goes_straight_to_the_profile(setup: Setup) -> None:
    person = make_person(setup)
    client = logged_in(setup.housing_agent)

    by_phone = client.get("/customers/search/", {"q": "+47 412 34 567"})
    by_name = client.get("/customers/search/", {"q": "Kari"})

    assert by_phone.status_code == 302
    assert by_phone["Location"] == f"/customers/persons/{person.pk}/"
    assert "Kari Nordmann" in by_name.content.decode()


def test_creating_a_person_in_the_ui_with_a_bad_phone_says_where(setup: Setup) -> None:
    client = logged_in(setup.housing_agent)

    bad = client.post(
        "/customers/persons/new/", {"last_name": "Berg", "phone": "123", "sensitivity": "normal"}
    )
    good = client.post(
        "/customers/persons/new/",
        {
            "first_name": "Anna",
            "last_name": "Berg",
            "phone": "412 34 567",
            "email": "anna@example.test",
            "custom_student_status": "active",
            "sensitivity": "normal",
        },
    )

    assert "Not a valid phone number" in bad.content.decode()
    assert good.status_code == 302
    anna = Person.objects.get(last_name="Berg")
    assert anna.custom == {"student_status": "active"}
    assert anna.phonenumbers.get().number == "+4741234567"  # type: ignore[attr-defined]


def test_editing_a_person_in_the_ui(setup: Setup) -> None:
    person = make_person(setup)
    client = logged_in(setup.housing_agent)

    client.post(
        f"/customers/persons/{person.pk}/edit/",
        {
            "first_name": "Karianne",
            "last_name": "Nordmann",
            "email": "nordmann@example.test",
            "phone": "412 34 567",
            "preferred_language": "nb",
        },
    )

    person.refresh_from_db()
    assert person.full_name == "Karianne Nordmann"
    assert person.preferred_language == "nb"
    assert person.field_sources["first_name"]["source"] == "luukku"


def test_a_field_worker_cannot_edit(setup: Setup) -> None:
    person = make_person(setup)

    response = logged_in(setup.field_worker).post(
        f"/customers/persons/{person.pk}/edit/", {"first_name": "X", "last_name": "Y"}
    )

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.first_name == "Kari"


def test_profile_queries_do_not_grow_with_events_and_relationships(setup: Setup) -> None:
    person = make_person(setup)
    client = logged_in(setup.housing_agent)
    guardian = RelationshipType.objects.get(code="guardian_of")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/customers/persons/{person.pk}/").status_code == 200
        return len(ctx.captured_queries)

    add_events(person, 2)
    create_relationship(type=guardian, person=person, other=make_person(setup, "Child1"), by=None)
    count()
    few = count()
    add_events(person, 40)
    for n in range(2, 8):
        create_relationship(
            type=guardian, person=person, other=make_person(setup, f"Child{n}"), by=None
        )
    many = count()

    assert many == few, f"{few} queries with few rows, {many} with many"


def test_administrators_define_custom_fields_sources_and_relationship_types(setup: Setup) -> None:
    admin = logged_in(setup.admin)

    refused = logged_in(setup.housing_agent).get("/customers/settings/")
    bad = admin.post(
        "/customers/settings/fields/new/",
        {
            "entity": "person",
            "key": "diet",
            "label": "Diet",
            "kind": "choice",
            "choices": "",
            "sensitivity": "normal",
            "position": 0,
        },
    )
    good = admin.post(
        "/customers/settings/fields/new/",
        {
            "entity": "person",
            "key": "diet",
            "label": "Diet",
            "kind": "multi_choice",
            "choices": "vegan, gluten-free",
            "sensitivity": "normal",
            "position": 0,
        },
    )
    bad_link = admin.post(
        "/customers/settings/sources/new/",
        {
            "code": "lms",
            "name": "Learning platform",
            "priority": 90,
            "deep_link": "javascript:alert(1)",
        },
    )
    source = admin.post(
        "/customers/settings/sources/new/",
        {
            "code": "lms",
            "name": "Learning platform",
            "priority": 90,
            "allowed_fields": "first_name, last_name",
            "deep_link": "https://lms.test/u/{external_id}",
        },
    )
    kind = admin.post(
        "/customers/settings/relationship-types/new/",
        {
            "code": "mentor_of",
            "label": "mentor of",
            "reverse_label": "mentee of",
            "target": "person",
        },
    )

    assert refused.status_code == 403
    assert "A choice field needs at least one choice." in bad.content.decode()
    assert good.status_code == 302
    from luukku.customers.models import CustomField, RelationshipType, SourceSystem

    assert CustomField.objects.get(key="diet").choices == ["vegan", "gluten-free"]
    assert "starts with https://" in bad_link.content.decode()
    assert source.status_code == 302
    assert SourceSystem.objects.get(code="lms").allowed_fields == ["first_name", "last_name"]
    assert kind.status_code == 302 and RelationshipType.objects.filter(code="mentor_of").exists()
    assert AuditEntry.objects.filter(object_type="customers.customfield", action="create").exists()


def test_adding_and_removing_a_relationship_in_the_ui(setup: Setup) -> None:
    parent = make_person(setup, "Parent")
    child = make_person(setup, "Barn")
    client = logged_in(setup.housing_agent)

    found = client.post(
        f"/customers/persons/{parent.pk}/relationships/", {"type": "guardian_of", "other": "Barn"}
    ).content.decode()
    added = client.post(
        f"/customers/persons/{parent.pk}/relationships/",
        {"type": "guardian_of", "other": "Barn", "choice": child.pk, "valid_from": "2024-08-01"},
    )
    child_page = client.get(f"/customers/persons/{child.pk}/").content.decode()
    rel = parent.relationships.get()  # type: ignore[attr-defined]
    client.post(f"/customers/persons/{parent.pk}/relationships/{rel.pk}/remove/")

    assert "Kari Barn" in found and 'name="choice"' in found
    assert added.status_code == 302
    assert "child of" in child_page and "Kari Parent" in child_page
    assert not parent.relationships.exists()  # type: ignore[attr-defined]


def test_custom_values_read_naturally_on_the_profile(setup: Setup) -> None:
    from luukku.customers.models import CustomField

    CustomField.objects.create(
        entity="person",
        key="diet",
        label="Diet",
        kind="multi_choice",
        choices=["vegan", "gluten-free"],
    )
    CustomField.objects.create(entity="person", key="alumni", label="Alumni", kind="boolean")
    person = create_party(
        Person,
        values={"last_name": "Values"},
        custom={"student_status": "active", "diet": ["vegan", "gluten-free"], "alumni": True},
        by=None,
    ).party

    page = logged_in(setup.housing_agent).get(f"/customers/persons/{person.pk}/").content.decode()

    assert "<dd>active</dd>" in page
    assert "<dd>vegan, gluten-free</dd>" in page
    assert "<dd>Yes</dd>" in page


def test_the_customer_list_pages_without_counting_everyone(setup: Setup) -> None:
    for n in range(60):
        create_party(Person, values={"first_name": "P", "last_name": f"Person{n:03d}"}, by=None)
    client = logged_in(setup.housing_agent)

    with CaptureQueriesContext(connection) as ctx:
        first = client.get("/customers/").content.decode()
    second = client.get("/customers/", {"page": 2}).content.decode()

    assert first.count("/customers/persons/") >= 50 and "Person049" in first
    assert "Person050" not in first and "page=2" in first
    assert "Person059" in second and "page=3" not in second
    assert not any("COUNT(" in q["sql"] for q in ctx.captured_queries)
