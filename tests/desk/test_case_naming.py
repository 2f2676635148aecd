"""An organization names its cases: a prefix before the number, and the token replies
carry in their subject; answers with the new token or the old default still thread."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.channels.email.receive import accept
from luukku.channels.models import Mailbox, OutboundEmail
from luukku.core.models import Role
from luukku.desk.models import Case, DeskSettings
from luukku.desk.models.settings import validate_subject_token
from luukku.desk.services import reply
from tests.conftest import bearer
from tests.desk.conftest import Desk
from tests.desk.test_inbound_email import mail
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def _admin(desk: Desk) -> Client:
    user_with(Role.ADMINISTRATOR, desk.tree.root, username="boss")
    client = Client()
    assert client.login(username="boss", password=PASSWORD)
    return client


def test_an_administrator_sets_the_prefix_and_token_and_replies_carry_them(
    desk: Desk, mailbox: Mailbox
) -> None:
    admin = _admin(desk)
    refused = admin.post("/desk/settings/", {"case_prefix": "SAK-", "subject_token": "{number}"})
    assert "Put marks before and after the number" in refused.content.decode()
    saved = admin.post(
        "/desk/settings/", {"case_prefix": "SAK-", "subject_token": "(Sak {reference})"}
    )
    assert saved.status_code == 302

    accept(mailbox, mail())
    case = Case.objects.get()
    ack = OutboundEmail.objects.get()
    assert ack.subject.endswith(f" (Sak SAK-{case.number})")  # in the customer's language
    answer = reply(case, by=desk.kari, text="Vi ser på det.", version=case.version)
    assert answer.subject == f"Re: Lekker dusj (Sak SAK-{case.number})"
    assert bearer(desk.kari).get(f"/api/v1/cases/{case.number}").json()["reference"] == (
        f"SAK-{case.number}"
    )
    kari = Client()
    assert kari.login(username="kari", password=PASSWORD)
    assert f"SAK-{case.number}" in kari.get("/desk/queues/housing/").content.decode()

    # The customer writes a new mail naming the case either way: both thread.
    accept(mailbox, mail(message_id="<m2@x.no>", subject=f"Ang. (Sak sak-{case.number})"))
    accept(mailbox, mail(message_id="<m3@x.no>", subject=f"Ang. [#{case.number}]"))
    assert Case.objects.count() == 1 and case.messages.count() == 4


def test_only_administrators_of_the_whole_organization_change_it(desk: Desk) -> None:
    kari = Client()
    assert kari.login(username="kari", password=PASSWORD)
    assert kari.get("/desk/settings/").status_code == 403
    assert not DeskSettings.objects.exists()


@pytest.mark.parametrize(
    "token", ["[#{number}]", "(Case {number})", "[{reference}]", "Sak #{number}:"]
)
def test_tokens_with_marks_around_one_number_are_accepted(token: str) -> None:
    validate_subject_token(token)


@pytest.mark.parametrize("token", ["{number}", "[#{number}] {number}", "[{case}]", "[{number]"])
def test_tokens_that_would_misread_ordinary_subjects_are_refused(token: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_subject_token(token)
