"""The agent's pages: queues, a queue's cases, a case with its composer; refusals show why
and keep what was typed."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.desk.models import Case, Message
from luukku.desk.services import NewMessage, add_note, open_case
from tests.desk.conftest import Desk
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def new_case(desk: Desk, queue=None) -> Case:  # type: ignore[no-untyped-def]
    return open_case(
        queue=queue or desk.housing,
        subject="Radiator is cold",
        by=None,
        person=desk.customer,
        first=NewMessage(text="It is 15 degrees in my room."),
    )


def test_an_agent_sees_the_queue_opens_the_case_and_notes_it(desk: Desk) -> None:
    case = new_case(desk)
    kari = logged_in(desk.kari)

    assert "Housing" in kari.get("/desk/").content.decode()
    rows = kari.get("/desk/queues/housing/", HTTP_HX_REQUEST="true").content.decode()
    assert "Radiator is cold" in rows and "<html" not in rows
    page = kari.get(f"/desk/cases/{case.number}/").content.decode()
    assert "It is 15 degrees in my room." in page and "Aino Virtanen" in page
    case.refresh_from_db()
    assert case.locked_by == desk.kari

    kari.post(
        f"/desk/cases/{case.number}/messages/",
        {"kind": "note", "text": "Check the thermostat", "version": case.version},
    )
    assert Message.objects.filter(case=case, direction="note").count() == 1
    ola_rows = logged_in(desk.ola).get("/desk/queues/housing/").content.decode()
    assert "is working on this" in ola_rows


def test_a_stale_reply_is_refused_with_what_happened_and_the_text_kept(desk: Desk) -> None:
    case = new_case(desk)
    kari = logged_in(desk.kari)
    kari.get(f"/desk/cases/{case.number}/")
    seen = Case.objects.get(pk=case.pk).version
    add_note(case, by=desk.ola, text="Plumber booked", version=seen)

    response = kari.post(
        f"/desk/cases/{case.number}/messages/",
        {"kind": "reply", "text": "We will fix it today.", "version": seen},
        follow=True,
    )

    page = response.content.decode()
    assert "The case changed while you were working on it" in page
    assert "note added" in page
    assert "We will fix it today.</textarea>" in page
    assert not Message.objects.filter(case=case, direction="outbound").exists()


def test_someone_elses_case_is_shown_as_taken_and_can_be_taken_over(desk: Desk) -> None:
    case = new_case(desk)
    logged_in(desk.kari).get(f"/desk/cases/{case.number}/")
    ola = logged_in(desk.ola)

    page = ola.get(f"/desk/cases/{case.number}/").content.decode()
    assert "is working on this case" in page and "Take over" in page

    ola.post(f"/desk/cases/{case.number}/take-over/")
    case.refresh_from_db()
    assert case.locked_by == desk.ola


def test_staff_of_other_units_do_not_see_the_case_or_queue(desk: Desk) -> None:
    case = new_case(desk, queue=desk.health)
    kari = logged_in(desk.kari)

    assert kari.get(f"/desk/cases/{case.number}/").status_code == 404
    assert kari.get("/desk/queues/health/").status_code == 404
    assert "Health" not in kari.get("/desk/").content.decode()


def test_an_agent_splits_and_merges_from_the_case_page(desk: Desk) -> None:
    from luukku.desk.services import receive

    case = new_case(desk)
    receive(case, NewMessage(text="And the window is broken."))
    case.refresh_from_db()
    window = case.messages.get(body_text="And the window is broken.")
    kari = logged_in(desk.kari)

    split = kari.post(
        f"/desk/cases/{case.number}/split/",
        {"message": [window.pk], "subject": "Broken window", "version": case.version},
        follow=True,
    )
    child = Case.objects.get(subject="Broken window")
    assert f"Split off as case {child.number}." in split.content.decode()

    merged = kari.post(
        f"/desk/cases/{child.number}/merge/",
        {"into": f"#{case.number}", "version": child.version},
        follow=True,
    )
    assert f"Merged into case {case.number}." in merged.content.decode()
    assert case.messages.count() == 2


def test_queue_filters_sorting_and_a_saved_view(desk: Desk) -> None:
    from luukku.desk.services import assign_case, classify_case

    calm = new_case(desk)
    urgent = new_case(desk)
    classify_case(urgent, by=desk.kari, version=urgent.version, priority="urgent")
    mine = new_case(desk)
    assign_case(mine, to=desk.kari, by=desk.kari, version=mine.version)
    kari = logged_in(desk.kari)

    def numbers(query: str) -> list[str]:
        rows = kari.get(f"/desk/queues/housing/?{query}", HTTP_HX_REQUEST="true")
        return [
            line.split('data-case="')[1].split('"')[0]
            for line in rows.content.decode().splitlines()
            if 'data-case="' in line
        ]

    assert numbers("sort=priority")[0] == str(urgent.number)
    assert numbers("assignee=me") == [str(mine.number)]
    assert numbers("assignee=none&priority=normal&sort=created") == [str(calm.number)]

    kari.post("/desk/queues/housing/views/", {"name": "Mine", "query": "assignee=me"})
    page = kari.get("/desk/queues/housing/").content.decode()
    assert 'href="?assignee=me">Mine</a>' in page
    assert (
        'href="?assignee=me"'
        not in logged_in(desk.ola).get("/desk/queues/housing/").content.decode()
    )


def test_the_api_filters_by_a_username_and_priority(desk: Desk) -> None:
    from luukku.desk.services import assign_case
    from tests.conftest import bearer

    case = new_case(desk)
    assign_case(case, to=desk.ola, by=desk.kari, version=case.version)
    new_case(desk)

    found = bearer(desk.kari).get("/api/v1/cases?assignee=ola&priority=normal").json()["items"]
    assert [c["number"] for c in found] == [case.number]
    nobody = bearer(desk.kari).get("/api/v1/cases?assignee=none").json()["items"]
    assert case.number not in [c["number"] for c in nobody] and len(nobody) == 1
