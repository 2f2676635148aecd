"""Auto-classification learnt from the unit's own resolved cases: versions with their
measured accuracy, the category set when sure and suggested when not."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.core.models import Role
from luukku.desk import classifier
from luukku.desk.models import Case, Category, ClassifierVersion, HistoryEntry, Queue
from luukku.desk.services import NewMessage, open_case
from tests.desk.conftest import Desk
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db

REPAIRS = [
    "Vannlekkasje på badet",
    "Det lekker fra taket",
    "Vesivuoto kylpyhuoneessa",
    "Vattenläcka i köket",
    "Ødelagt vindu i stua",
    "Rikkinäinen ikkuna",
    "Trasigt fönster",
    "Dusjen lekker",
    "Lekkasje under vasken",
    "Kraanasta vuotaa vettä",
]
RENT = [
    "Faktura for husleie",
    "Spørsmål om husleien",
    "Vuokralasku on väärin",
    "Hyran för mars",
    "Betaling av leie",
    "Vuokran maksu myöhässä",
    "Fakturan för hyran",
    "Husleie og depositum",
    "Leiekontrakt og betaling",
    "Vuokrasopimus ja lasku",
]


def _resolved(desk: Desk, subject: str, category: Category) -> Case:
    case = open_case(
        queue=desk.housing,
        subject=subject,
        by=None,
        first=NewMessage(text=subject, sender="x@example.test"),
    )
    Case.objects.filter(pk=case.pk).update(category=category, status="resolved")
    return case


@pytest.fixture
def learnt(desk: Desk) -> tuple[Category, Category]:
    rent = Category.objects.create(name="Rent", org_unit=desk.tree.housing)
    for subject in REPAIRS * 2:
        _resolved(desk, subject, desk.repairs)
    for subject in RENT * 2:
        _resolved(desk, subject, rent)
    return desk.repairs, rent


def test_a_version_learns_measures_and_then_sets_or_suggests(
    desk: Desk, learnt: tuple[Category, Category]
) -> None:
    repairs, rent = learnt
    version = classifier.train(desk.tree.housing)
    assert version is not None and version.version == 1 and version.cases == 40
    assert version.accuracy >= 0.75
    ClassifierVersion.objects.filter(pk=version.pk).update(threshold=0.5)

    leak = open_case(
        queue=desk.housing,
        subject="Lekkasje i kjelleren",
        by=None,
        first=NewMessage(text="Det lekker vann fra røret.", sender="y@example.test"),
    )
    leak.refresh_from_db()
    assert leak.category == repairs
    entry = HistoryEntry.objects.get(case=leak, kind="classified")
    assert entry.details["automatic"] is True and entry.details["classifier_version"] == 1

    ClassifierVersion.objects.filter(pk=version.pk).update(threshold=0.999)
    unsure = open_case(
        queue=desk.housing,
        subject="Vuokralasku",
        by=None,
        first=NewMessage(text="Laskussa on virhe.", sender="z@example.test"),
    )
    unsure.refresh_from_db()
    assert unsure.category is None and unsure.suggested_category == rent
    client = Client()
    assert client.login(username="kari", password=PASSWORD)
    page = client.get(f"/desk/cases/{unsure.number}/").content.decode()
    assert "Suggested: Rent" in page


def test_corrections_are_learnt_by_the_next_version_and_too_little_learns_nothing(
    desk: Desk, learnt: tuple[Category, Category]
) -> None:
    repairs, rent = learnt
    windows = Category.objects.create(name="Windows", org_unit=desk.tree.housing)
    first = classifier.train(desk.tree.housing)
    assert first is not None and set(first.labels) == {repairs.pk, rent.pk}
    # Agents corrected the window cases to their own category.
    Case.objects.filter(subject__iregex=r"vindu|ikkuna|fönster").update(category=windows)
    second = classifier.train(desk.tree.housing)
    assert second is not None and second.version == 2 and windows.pk in second.labels
    assert list(ClassifierVersion.objects.filter(is_active=True)) == [second]
    assert classifier.train(desk.tree.health) is None  # no resolved cases there


def test_administrators_see_the_versions_and_set_the_threshold(
    desk: Desk, learnt: tuple[Category, Category]
) -> None:
    version = classifier.train(desk.tree.housing)
    assert version is not None
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="sup")
    client = Client()
    assert client.login(username="sup", password=PASSWORD)
    page = client.get("/desk/setup/").content.decode()
    assert "Accuracy on unseen cases" in page and "in use" in page
    client.post(f"/desk/setup/classifier/{version.pk}/threshold/", {"threshold": "65"})
    version.refresh_from_db()
    assert version.threshold == pytest.approx(0.65)
    refused = client.post(
        f"/desk/setup/classifier/{version.pk}/threshold/", {"threshold": "high"}, follow=True
    )
    assert "Give a confidence between 0 and 100." in refused.content.decode()


@pytest.fixture
def front_desk(desk: Desk) -> dict[str, Queue]:
    """A triage queue at the top; rent goes to housing, repairs to the north's queue,
    health questions to the restricted health queue, learnt from resolved cases."""
    triage = Queue.objects.create(
        name="Front desk", slug="front", org_unit=desk.tree.root, is_triage=True
    )
    north = Queue.objects.create(name="North", slug="north", org_unit=desk.tree.housing_north)
    for queue, subjects in ((north, REPAIRS), (desk.housing, RENT), (desk.health, REPAIRS)):
        for subject in subjects * 2:
            case = open_case(
                queue=queue,
                subject=subject,
                by=None,
                first=NewMessage(text=subject, sender="x@e.t"),
            )
            Case.objects.filter(pk=case.pk).update(status="resolved")
    return {"triage": triage, "north": north, "housing": desk.housing}


def test_a_triage_queue_learns_where_requests_belong_and_moves_or_suggests(
    desk: Desk, front_desk: dict[str, Queue]
) -> None:
    trained = classifier.train_all()
    assert "root/queue" in trained
    version = ClassifierVersion.objects.get(target="queue", is_active=True)
    # The health queue's cases are restricted: not learnt by a model serving everyone.
    assert set(version.labels) == {front_desk["north"].pk, front_desk["housing"].pk}
    ClassifierVersion.objects.filter(pk=version.pk).update(threshold=0.5)

    leak = open_case(
        queue=front_desk["triage"],
        subject="Lekkasje i kjelleren",
        by=None,
        first=NewMessage(text="Det lekker vann fra røret.", sender="y@example.test"),
    )
    leak.refresh_from_db()
    assert leak.queue == front_desk["north"] and leak.org_unit == desk.tree.housing_north
    moved = HistoryEntry.objects.get(case=leak, kind="moved")
    assert moved.details["queue"] == ["Front desk", "North"] and moved.details["automatic"]

    ClassifierVersion.objects.filter(pk=version.pk).update(threshold=0.999)
    unsure = open_case(
        queue=front_desk["triage"],
        subject="Vuokralasku",
        by=None,
        first=NewMessage(text="Laskussa on virhe.", sender="z@example.test"),
    )
    unsure.refresh_from_db()
    assert unsure.queue == front_desk["triage"]
    assert unsure.suggested_queue == front_desk["housing"]

    # A receptionist at the top sees the suggestion preselected and moves the case.
    user_with(Role.AGENT, desk.tree.root, username="reception")
    client = Client()
    assert client.login(username="reception", password=PASSWORD)
    page = client.get(f"/desk/cases/{unsure.number}/").content.decode()
    assert "Suggested queue: Housing" in page
    assert '<option value="housing" selected>' in page
    client.post(
        f"/desk/cases/{unsure.number}/move/", {"queue": "housing", "version": unsure.version}
    )
    unsure.refresh_from_db()
    assert unsure.queue == desk.housing and unsure.suggested_queue is None
    history = client.get(f"/desk/cases/{unsure.number}/").content.decode()
    assert "moved to another queue" in history
