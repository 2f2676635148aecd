"""A marketer writes content and sees it as a chosen customer would get it, with its
problems named before anything can be sent."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.core.models import AuditEntry, Role
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.models import Person
from tests.conftest import Tree
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db

BODY = (
    "<mjml><mj-body><mj-section><mj-column>"
    "<mj-text>Hei {{ person.first_name }} i {{ person.city | default: 'byen' }}!</mj-text>"
    "</mj-column></mj-section></mj-body></mjml>"
)


def test_the_preview_shows_what_a_chosen_customer_gets(tree: Tree) -> None:
    marketer = user_with(Role.MARKETER, tree.root, username="maria")
    ingrid = create_party(
        Person,
        values={"first_name": "Ingrid", "last_name": "Haugen"},
        contacts=ContactChanges(
            addresses=[{"street": "Storgata 1", "postal_code": "7030", "city": "Trondheim"}]
        ),
        by=None,
    ).party
    client = Client()
    assert client.login(username="maria", password=PASSWORD)
    start = client.get("/campaigns/preview/").content.decode()
    assert "mj-text" in start  # a starting MJML body to edit
    form = {
        "subject": "Nytt, {{ person.first_name }}",
        "body_format": "mjml",
        "body": BODY,
        "sms": "Hei {{ person.first_name }}! Timeplanen er ute: ÆØÅ",
        "person": ingrid.pk,
    }
    page = client.post("/campaigns/preview/", form, HTTP_HX_REQUEST="true").content.decode()
    assert '<span id="preview-subject">Nytt, Ingrid</span>' in page
    assert "Hei Ingrid i Trondheim!" in page  # inside the iframe's srcdoc
    assert "(GSM-7), 1 message" in page
    assert AuditEntry.objects.filter(
        actor=marketer, action="view", object_id=str(ingrid.pk)
    ).exists()

    broken = client.post(
        "/campaigns/preview/",
        {**form, "body": BODY.replace("person.first_name", "person.nickname")},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Body: line 1" in broken and "person.nickname is undefined" in broken
    emoji = client.post(
        "/campaigns/preview/", {**form, "sms": "Hei 🙂"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "(UCS-2)" in emoji and "These make it UCS-2: 🙂" in emoji

    assert client.login(username=user_with(Role.AGENT, tree.housing).username, password=PASSWORD)
    assert client.get("/campaigns/preview/").status_code == 403
