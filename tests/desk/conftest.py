from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import timezone

from luukku.channels.models import Mailbox
from luukku.core.models import Role, User
from luukku.customers.actions.parties import create_party
from luukku.customers.models import Person
from luukku.desk.models import Category, Queue
from tests.conftest import Tree
from tests.factories import user_with
from tests.sms_provider import sms_provider  # noqa: F401 (a fixture for the desk's tests)
from tests.test_staff_email_smtp import smtp_server  # noqa: F401 (a fixture for the desk's tests)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Attachments of the desk's tests go to a throwaway directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Desk:
    tree: Tree
    housing: Queue
    health: Queue  # restricted: the health service's
    repairs: Category
    kari: User  # housing agent
    ola: User  # housing agent
    nurse: User  # health agent
    analyst: User  # sees housing cases, may not work them
    customer: Person


@pytest.fixture
def desk(tree: Tree) -> Desk:
    housing = Queue.objects.create(name="Housing", slug="housing", org_unit=tree.housing)
    health = Queue.objects.create(
        name="Health", slug="health", org_unit=tree.health, sensitivity="restricted"
    )
    return Desk(
        tree=tree,
        housing=housing,
        health=health,
        repairs=Category.objects.create(name="Repairs", org_unit=tree.housing),
        kari=user_with(Role.AGENT, tree.housing, username="kari", first_name="Kari"),
        ola=user_with(Role.AGENT, tree.housing, username="ola"),
        nurse=user_with(Role.AGENT, tree.health, username="nurse"),
        analyst=user_with(Role.ANALYST, tree.housing, username="analyst"),
        customer=create_party(
            Person, values={"first_name": "Aino", "last_name": "Virtanen"}, by=None
        ).party,
    )


@pytest.fixture
def mailbox(desk: Desk) -> Mailbox:
    """housing@demo.luukku.test, feeding the housing queue."""
    box = Mailbox.objects.create(
        address="housing@demo.luukku.test", name="Nordby Housing", org_unit=desk.tree.housing
    )
    desk.housing.mailbox = box
    desk.housing.save()
    return box


HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")


class Clock:
    """The time as Luukku sees it, moved by the test."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def move(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now

    def set(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fixed = Clock(dt.datetime(2026, 12, 2, 9, 0, tzinfo=HELSINKI))
    monkeypatch.setattr(timezone, "now", lambda: fixed.now.astimezone(dt.UTC))
    yield fixed
