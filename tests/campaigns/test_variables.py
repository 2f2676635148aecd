"""What content may say of a recipient: cases (never restricted ones), custom fields
the person has no value in (empty, so `default` applies); and the SMS sender names an
administrator sets per unit."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.campaigns.variables import variables_for
from luukku.channels.models import SmsSender
from luukku.core.models import Role
from luukku.core.templating import render
from luukku.customers.models import CustomField
from luukku.desk.models import Case
from luukku.desk.services import open_case
from tests.factories import PASSWORD, user_with
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_cases_and_missing_fields_as_variables(people: People) -> None:  # noqa: F811
    CustomField.objects.create(entity="person", key="shoe", label="Shoe size")
    found = variables_for([people.anna.pk, people.bjorn.pk])
    anna, bjorn = found[people.anna.pk], found[people.bjorn.pk]
    assert anna["person"]["open_cases"] == 0
    assert render("{{ person.custom.shoe | default: 'no size' }}", anna) == "no size"
    assert render("{{ person.last_case.subject | default: 'none' }}", anna) == "none"
    assert bjorn["person"]["open_cases"] == 1  # the fixture's "Noise" case
    assert render("#{{ person.last_case.number }} {{ person.last_case.subject }}", bjorn).endswith(
        " Noise"
    )
    case = open_case(queue=people.housing, subject="Doctor's note", by=None, person=people.anna)
    Case.objects.filter(pk=case.pk).update(sensitivity="restricted")
    assert variables_for([people.anna.pk])[people.anna.pk]["person"]["open_cases"] == 0


def test_an_administrator_sets_the_sms_sender_of_a_unit(people: People) -> None:  # noqa: F811
    user_with(Role.ADMINISTRATOR, people.tree.root, username="ada")
    client = Client()
    assert client.login(username="ada", password=PASSWORD)
    page = client.post(
        "/campaigns/setup/sms-senders/",
        {"org_unit": people.tree.housing.pk, "sender": "Way too long name"},
    )
    assert "at most 11" in page.content.decode()
    client.post(
        "/campaigns/setup/sms-senders/", {"org_unit": people.tree.housing.pk, "sender": "Bolig"}
    )
    client.post(
        "/campaigns/setup/sms-senders/", {"org_unit": people.tree.housing.pk, "sender": "Housing"}
    )
    assert SmsSender.for_unit(people.tree.housing_north) == "Housing"
    assert SmsSender.for_unit(people.tree.health) == ""
    assert Client().get("/campaigns/setup/sms-senders/").status_code == 302  # signed in only
    marketer = Client()
    assert marketer.login(username="maria", password=PASSWORD)
    assert marketer.get("/campaigns/setup/sms-senders/").status_code == 403
