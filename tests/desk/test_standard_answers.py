"""Standard answers: offered where they belong, filled in for the case, bounded, and
checked when saved."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.core.models import Role
from luukku.desk.answers import AnswerError, answers_for, fill_in
from luukku.desk.models import StandardAnswer
from luukku.desk.services import NewMessage, open_case
from tests.desk.conftest import Desk
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def case(desk: Desk):  # type: ignore[no-untyped-def]
    desk.customer.preferred_language = "nb"
    desk.customer.save()
    return open_case(
        queue=desk.housing,
        subject="Lekker dusj",
        by=None,
        person=desk.customer,
        first=NewMessage(text="Vann overalt"),
    )


def answer(desk: Desk, title: str, body: str, unit=None, language: str = "") -> StandardAnswer:  # type: ignore[no-untyped-def]
    return StandardAnswer.objects.create(
        title=title, body=body, org_unit=unit or desk.tree.root, language=language
    )


def test_answers_of_the_unit_and_above_in_the_customers_language(desk: Desk, case) -> None:  # type: ignore[no-untyped-def]
    answer(desk, "Everywhere", "x")
    answer(desk, "Housing only", "x", unit=desk.tree.housing)
    answer(desk, "Health only", "x", unit=desk.tree.health)
    answer(desk, "Swedish", "x", language="sv")
    answer(desk, "Norwegian", "x", language="nb")

    titles = [a.title for a in answers_for(case, language="nb")]
    assert titles == ["Everywhere", "Housing only", "Norwegian"]
    assert [a.title for a in answers_for(case, "housing", "nb")] == ["Housing only"]


def test_merge_fields_and_defaults_are_filled_in(desk: Desk, case) -> None:  # type: ignore[no-untyped-def]
    body = (
        "Hei {{ customer.first_name }}, sak {{ case.number }} ({{ case.subject }}) "
        'er hos {{ agent.first_name }}. {{ customer.title | default: "-" }}'
    )
    text = fill_in(answer(desk, "t", body), case, desk.kari)
    assert text == f"Hei Aino, sak {case.number} (Lekker dusj) er hos Kari. -"


def test_a_runaway_template_is_stopped_with_a_message(desk: Desk, case) -> None:  # type: ignore[no-untyped-def]
    runaway = answer(desk, "t", "{% for i in (1..1000000) %}x{% endfor %}")
    with pytest.raises(AnswerError, match="could not be filled in"):
        fill_in(runaway, case, desk.kari)


def test_an_agent_inserts_an_answer_into_the_composer(desk: Desk, case) -> None:  # type: ignore[no-untyped-def]
    chosen = answer(desk, "Repair booked", "Hei {{ customer.first_name }}!")
    kari = logged_in("kari")

    listing = kari.get(f"/desk/cases/{case.number}/answers/?q=repair").content.decode()
    assert "Repair booked" in listing
    swapped = kari.get(
        f"/desk/cases/{case.number}/answers/{chosen.pk}/", {"text": "Takk for meldingen."}
    ).content.decode()
    assert "Takk for meldingen.\n\nHei Aino!</textarea>" in swapped
    page = kari.get(f"/desk/cases/{case.number}/?answer={chosen.pk}").content.decode()
    assert "Hei Aino!</textarea>" in page


def test_administrators_save_answers_and_broken_liquid_is_refused(desk: Desk) -> None:
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="hadmin")
    admin = logged_in("hadmin")
    form = {"title": "Keys", "org_unit": desk.tree.housing.pk, "language": "", "is_active": "on"}

    refused = admin.post("/desk/answers/new/", {**form, "body": "{% if %}"})
    assert "not valid Liquid" in refused.content.decode()
    assert not StandardAnswer.objects.exists()
    admin.post("/desk/answers/new/", {**form, "body": "Hi {{ customer.first_name }}"})
    assert StandardAnswer.objects.get().title == "Keys"
    outside = admin.post(
        "/desk/answers/new/", {**form, "org_unit": desk.tree.health.pk, "body": "x"}
    )
    assert outside.status_code == 200 and StandardAnswer.objects.count() == 1
    assert logged_in("kari").get("/desk/answers/").status_code == 403
