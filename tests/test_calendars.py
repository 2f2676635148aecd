"""Business calendars set up on the org unit pages, inherited down the tree, and audited."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from luukku.core.actions import calendars
from luukku.core.business_time import ALWAYS_OPEN, add_business_minutes
from luukku.core.models import AuditEntry, BusinessCalendar, Role, SpecialDay
from tests.conftest import Tree
from tests.factories import user_with

HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")
OFFICE = "08:00–16:00"
WEEK = {"monday": OFFICE, "tuesday": OFFICE, "wednesday": OFFICE}
WEEK |= {"thursday": OFFICE, "friday": "08:00-12:00, 12:30-15:00", "saturday": "", "sunday": ""}


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _save(client: Client, unit_id: int, **changes: str) -> object:
    data = {
        "name": "Helsinki office",
        "time_zone": "Europe/Helsinki",
        "holiday_country": "FI",
        "de_facto_holidays": "on",
        **WEEK,
        **changes,
    }
    return client.post(f"/org/{unit_id}/calendar/", data)


@pytest.mark.django_db
def test_an_administrator_sets_hours_and_the_unit_below_follows(tree: Tree) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.root)
    client = _client(admin)
    response = _save(client, tree.housing.pk)
    assert response.status_code == 302  # type: ignore[attr-defined]

    calendar = BusinessCalendar.objects.get(org_unit=tree.housing)
    assert calendars.week_of(calendar)[4] == (
        (dt.time(8), dt.time(12)),
        (dt.time(12, 30), dt.time(15)),
    )
    assert calendars.calendar_for(tree.housing_north) == calendar
    assert calendars.calendar_for(tree.health) is None
    assert calendars.schedule_for(tree.health) is ALWAYS_OPEN
    entry = AuditEntry.objects.get(object_type="core.businesscalendar", actor=admin)
    assert entry.changes["week"][1][4] == "08:00–12:00, 12:30–15:00"

    page = client.get(f"/org/{tree.housing_north.pk}/calendar/").content.decode()
    assert "follows “Helsinki office” of Housing" in page
    # Christmas Eve 2026 is a Thursday; the preview's deadline skips it, Christmas and
    # the weekend: 1 h on Wednesday, 3 h on Monday.
    page = client.get(
        f"/org/{tree.housing_north.pk}/calendar/",
        {"start": "2026-12-23T15:00", "minutes": "240"},
    ).content.decode()
    assert "Due Monday 28. December 2026 11:00 (Europe/Helsinki)" in page


@pytest.mark.django_db
def test_bad_hours_are_refused_with_the_reason_and_nothing_is_saved(tree: Tree) -> None:
    client = _client(user_with(Role.ADMINISTRATOR, tree.root))
    response = _save(client, tree.housing.pk, monday="08:00-12:00, 11:00-15:00")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "08:00–12:00 and 11:00–15:00 overlap." in response.content.decode()  # type: ignore[attr-defined]
    response = _save(client, tree.housing.pk, tuesday="9 to 5")
    assert "“9 to 5” is not an interval such as 08:00–16:00." in response.content.decode()  # type: ignore[attr-defined]
    response = _save(client, tree.housing.pk, wednesday="16:00-08:00")
    assert "closes before it opens" in response.content.decode()  # type: ignore[attr-defined]
    assert not BusinessCalendar.objects.exists()


def test_hours_are_read_leniently_and_written_one_way() -> None:
    assert calendars.parse_hours("8-16") == ((dt.time(8), dt.time(16)),)
    assert calendars.parse_hours("12.30–15, 08:00 - 11:30") == (
        (dt.time(8), dt.time(11, 30)),
        (dt.time(12, 30), dt.time(15)),
    )
    assert calendars.parse_hours("18:00-24:00") == ((dt.time(18), None),)
    assert calendars.parse_hours("00:00-00:00") == ((dt.time(0), None),)
    assert calendars.parse_hours("Stengt") == ()
    assert (
        calendars.format_hours(calendars.parse_hours("18-24, 8-12")) == "08:00–12:00, 18:00–24:00"
    )
    with pytest.raises(ValidationError, match="not a time of day"):
        calendars.parse_hours("08:00-25:00")


@pytest.mark.django_db
def test_special_days_close_or_open_a_day(tree: Tree) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.root)
    client = _client(admin)
    _save(client, tree.housing.pk)
    url = f"/org/{tree.housing.pk}/calendar/special-days/"
    client.post(url, {"date": "2026-12-22", "name": "Staff day", "hours": ""})
    client.post(url, {"date": "2026-12-24", "name": "Christmas duty", "hours": "09-12"})
    response = client.post(url, {"date": "2026-12-27", "hours": "10-09"}, follow=True)
    assert "closes before it opens" in response.content.decode()
    assert SpecialDay.objects.count() == 2

    schedule = calendars.schedule_for(tree.housing_north)
    monday = dt.datetime(2026, 12, 21, 15, 0, tzinfo=HELSINKI)
    # 1 h on Monday, Tuesday closed, Wednesday 8 h, Christmas Eve open 09-12.
    assert add_business_minutes(schedule, monday, 60 * 10) == dt.datetime(
        2026, 12, 24, 10, 0, tzinfo=HELSINKI
    )
    staff_day = SpecialDay.objects.get(name="Staff day")
    client.post(f"{url}{staff_day.pk}/remove/")
    assert not SpecialDay.objects.filter(pk=staff_day.pk).exists()
    assert AuditEntry.objects.filter(object_type="core.specialday").count() == 3


@pytest.mark.django_db
def test_only_those_who_manage_the_unit_change_its_calendar(tree: Tree) -> None:
    agent = user_with(Role.AGENT, tree.housing)
    client = _client(agent)
    page = client.get(f"/org/{tree.housing.pk}/calendar/")
    assert page.status_code == 200
    assert 'name="monday"' not in page.content.decode()  # sees the hours, no form
    response = _save(client, tree.housing.pk)
    assert response.status_code == 403  # type: ignore[attr-defined]
    health_admin = user_with(Role.ADMINISTRATOR, tree.health)
    response = _save(_client(health_admin), tree.housing.pk)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not BusinessCalendar.objects.exists()
