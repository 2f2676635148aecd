"""Fair assignment: only present agents on duty and below their capacity get cases,
spread fairly, also when cases arrive at once; cases return and flow with presence."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections import Counter

import pytest
from django.db import close_old_connections, connections
from django.utils import timezone

from luukku.core.models import Absence, Presence, Role, User, WorkingHours
from luukku.desk.models import Case, Queue
from luukku.desk.services import NewMessage, open_case, reply
from luukku.desk.tasks import balance_assignments
from tests.desk.conftest import Desk
from tests.factories import user_with


def _agents(desk: Desk, *names: str, capacity: int = 10) -> list[User]:
    return [
        user_with(
            Role.AGENT,
            desk.tree.housing,
            username=name,
            presence=Presence.AVAILABLE,
            capacity=capacity,
        )
        for name in names
    ]


def _queue(desk: Desk, strategy: str) -> Queue:
    queue = desk.housing
    queue.assignment = strategy
    queue.save()
    # The fixture's own agents are not at work: they take nothing.
    User.objects.filter(pk__in=[desk.kari.pk, desk.ola.pk]).update(presence=Presence.OFFLINE)
    return queue


def _new(desk: Desk, n: int = 1) -> list[Case]:
    return [
        open_case(
            queue=desk.housing,
            subject=f"Request {i}",
            by=None,
            channel="email",
            first=NewMessage(text="Hello", sender="aino@example.test"),
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_round_robin_spreads_ten_cases_over_three_present_agents_not_the_absent_fourth(
    desk: Desk,
) -> None:
    _queue(desk, Queue.Assignment.ROUND_ROBIN)
    *_present, dag = _agents(desk, "anna", "bo", "cai", "dag")
    Absence.objects.create(
        user=dag, kind="sick", starts_on=_there(desk).date(), ends_on=_there(desk).date()
    )
    cases = _new(desk, 10)
    given = Counter(Case.objects.get(pk=c.pk).assignee.username for c in cases)  # type: ignore[union-attr]
    assert sorted(given.values()) == [3, 3, 4]
    assert set(given) == {"anna", "bo", "cai"}


@pytest.mark.django_db
def _there(desk: Desk) -> dt.datetime:
    """Now where the agents work: duty is judged in their time zone, which is a day on
    from UTC's in the hour before midnight UTC."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(desk.tree.housing.time_zone))


def test_least_load_and_capacity_and_working_hours_decide(desk: Desk) -> None:
    _queue(desk, Queue.Assignment.LEAST_LOAD)
    busy, _free, night = _agents(desk, "busy", "free", "night", capacity=2)
    now = _there(desk)
    WorkingHours.objects.create(
        user=night,
        weekday=(now.weekday() + 1) % 7,  # works tomorrow only
        starts="00:00",
        ends="23:59",
    )
    first = _new(desk, 1)[0]
    Case.objects.filter(pk=first.pk).update(assignee=busy)
    cases = _new(desk, 4)
    owners = [Case.objects.get(pk=c.pk).assignee for c in cases]
    # Fewest open cases first, then whoever got one longest ago; two each at most;
    # "night" is off duty; the fourth case waits.
    assert [o.username if o else None for o in owners] == ["free", "busy", "free", None]


@pytest.mark.django_db
def test_cases_return_when_their_agent_goes_away_and_flow_to_who_is_available(
    desk: Desk,
) -> None:
    _queue(desk, Queue.Assignment.ROUND_ROBIN)
    (anna,) = _agents(desk, "anna")
    started, unstarted = _new(desk, 2)
    reply(Case.objects.get(pk=started.pk), by=anna, text="On it.", version=None)
    User.objects.filter(pk=anna.pk).update(presence=Presence.AWAY)
    (bo,) = _agents(desk, "bo")
    User.objects.filter(pk=bo.pk).update(presence=Presence.OFFLINE)

    assert balance_assignments.call() == {"returned": 1, "given": 0}
    assert Case.objects.get(pk=unstarted.pk).assignee is None
    assert Case.objects.get(pk=started.pk).assignee == anna  # answered: it stays

    User.objects.filter(pk=bo.pk).update(presence=Presence.AVAILABLE)
    assert balance_assignments.call() == {"returned": 0, "given": 1}
    assert Case.objects.get(pk=unstarted.pk).assignee == bo


@pytest.mark.django_db(transaction=True)
def test_two_cases_at_once_never_take_an_agent_past_capacity(desk: Desk) -> None:
    _queue(desk, Queue.Assignment.LEAST_LOAD)
    _agents(desk, "solo", capacity=1)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def arrive(n: int) -> None:
        try:
            close_old_connections()
            start.wait(timeout=10)
            _new(desk, 1)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=arrive, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert Case.objects.count() == 2
    assert Case.objects.filter(assignee__username="solo").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("strategy", list(Queue.Assignment.values)[1:])
def test_postgresql_and_python_agree_on_who_is_next(desk: Desk, strategy: str) -> None:
    from luukku.core.models import Team
    from luukku.desk.assignment import _candidates_in_sql, candidates_here

    queue = _queue(desk, strategy)
    people = _agents(desk, "a1", "a2", "a3", "a4", "a5", capacity=3)
    Absence.objects.create(
        user=people[0], kind="sick", starts_on=_there(desk).date(), ends_on=_there(desk).date()
    )
    WorkingHours.objects.create(
        user=people[1],
        weekday=(_there(desk).weekday() + 3) % 7,
        starts="08:00",
        ends="09:00",
    )
    User.objects.filter(pk=people[2].pk).update(time_zone="America/New_York")
    _new(desk, 5)
    team = Team.objects.create(org_unit=desk.tree.housing, name="Team")
    team.members.add(people[2], people[3])
    now = timezone.now()
    for team_id in (None, team.pk):
        names = dict(User.objects.values_list("pk", "username"))
        in_sql = [(names[c.user_id], c.load) for c in _candidates_in_sql(queue, team_id, now)]
        here = [
            (names[c.user_id], c.load) for c in candidates_here(queue, team_id=team_id, now=now)
        ]
        assert in_sql == here
        assert in_sql and "a1" not in dict(in_sql) and "a2" not in dict(in_sql)


@pytest.mark.django_db
def test_each_agents_count_of_open_cases_follows_every_change(desk: Desk) -> None:
    from luukku.desk.models import AgentLoad
    from luukku.desk.services import assign_case, change_status, merge_case

    def counted() -> dict[str, int]:
        rows = AgentLoad.objects.filter(open_cases__gt=0).select_related("user")
        return {r.user.username: r.open_cases for r in rows}

    def actual() -> dict[str, int]:
        rows = Case.objects.exclude(status__in=["resolved", "closed"]).exclude(assignee=None)
        return dict(Counter(c.assignee.username for c in rows))  # type: ignore[union-attr]

    a, b, c = _new(desk, 3)
    assign_case(a, to=desk.kari, by=desk.kari, version=None)
    assign_case(b, to=desk.kari, by=desk.kari, version=None)
    assign_case(c, to=desk.ola, by=desk.ola, version=None)
    assert counted() == actual() == {"kari": 2, "ola": 1}
    assign_case(Case.objects.get(pk=b.pk), to=desk.ola, by=desk.kari, version=None)
    a = Case.objects.get(pk=a.pk)
    a.category = desk.repairs
    a.save()
    change_status(a, to="resolved", by=desk.kari, version=None)
    merge_case(Case.objects.get(pk=c.pk), into=Case.objects.get(pk=b.pk), by=desk.ola, version=None)
    assert counted() == actual() == {"ola": 1}
    Case.objects.filter(pk=c.pk).delete()
    Case.objects.filter(pk=b.pk).delete()
    assert counted() == actual() == {}


@pytest.mark.django_db
def test_the_supervisor_board_shows_waiting_work_risk_presence_and_load(desk: Desk) -> None:
    import datetime as dt

    from django.test import Client

    from tests.factories import PASSWORD

    user_with(Role.SUPERVISOR, desk.tree.housing, username="siri")
    queue = _queue(desk, Queue.Assignment.MANUAL)
    _waiting, late, mine = _new(desk, 3)
    past = timezone.now() - dt.timedelta(minutes=5)
    Case.objects.filter(pk=late.pk).update(sla_due_at=past, sla_warn_at=past, assignee=desk.ola)
    Case.objects.filter(pk=mine.pk).update(assignee=desk.kari)
    client = Client()
    assert client.login(username="siri", password=PASSWORD)
    page = client.get("/desk/board/").content.decode()
    row = page[page.index(f">{queue.name}</a>") :]
    cells = [c.split("<")[0] for c in row.split("<td>")[1:4]]
    assert cells == ["3", "1", cells[2]]  # open, waiting for an agent, since
    assert 'class="badge sla-breached">1<' in page
    assert "Kari" in page and "1 / 10" in page
    assert client.login(username="kari", password=PASSWORD)
    assert client.get("/desk/board/").status_code == 403


@pytest.mark.django_db
def test_skills_decide_who_gets_a_finnish_tenancy_case(desk: Desk) -> None:
    from django.test import Client

    from luukku.desk.models import AgentSkill, Skill
    from tests.factories import PASSWORD

    _queue(desk, Queue.Assignment.SKILLS)
    swede, finn, expert = _agents(desk, "swede", "finn", "expert")
    finnish = Skill.objects.create(name="Finnish", language="fi")
    law = Skill.objects.create(name="Tenancy law")
    law.categories.add(desk.repairs)
    AgentSkill.objects.create(user=finn, skill=finnish, level=5)
    AgentSkill.objects.create(user=finn, skill=law, level=1)
    AgentSkill.objects.create(user=expert, skill=finnish, level=3)
    AgentSkill.objects.create(user=expert, skill=law, level=5)
    desk.customer.preferred_language = "fi"
    desk.customer.save()

    plain = open_case(queue=desk.housing, subject="Hei", by=None, person=desk.customer)
    assert Case.objects.get(pk=plain.pk).assignee == finn  # Finnish 5 beats 3
    legal = open_case(
        queue=desk.housing, subject="Vuokra", by=None, person=desk.customer, category=desk.repairs
    )
    assert Case.objects.get(pk=legal.pk).assignee == expert  # 3 + 5 beats 5 + 1
    nobody = open_case(queue=desk.housing, subject="Hello", by=None)
    assert Case.objects.get(pk=nobody.pk).assignee in (swede, finn, expert)  # needs nothing

    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="sup")
    client = Client()
    assert client.login(username="sup", password=PASSWORD)
    client.post(f"/desk/setup/skills/{law.pk}/", {"form": "agent", "user": swede.pk, "level": "4"})
    assert AgentSkill.objects.get(user=swede, skill=law).level == 4
    assert "Tenancy law" in client.get("/desk/setup/").content.decode()


def _new_on(desk: Desk, channel: str, n: int = 1) -> list[Case]:
    return [
        open_case(
            queue=desk.housing,
            subject=f"{channel} {i}",
            by=None,
            channel=channel,
            first=NewMessage(text="Hei", sender="aino@example.test"),
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_channel_weights_let_an_agent_hold_two_mails_in_the_room_of_one_chat(desk: Desk) -> None:
    from luukku.desk.capacity import save_weights

    _queue(desk, Queue.Assignment.LEAST_LOAD)
    (agent,) = _agents(desk, "mia", capacity=2)
    save_weights({"email": 50, "chat": 100}, by=None)

    mails = _new_on(desk, "email", 3)
    chat, second_chat = _new_on(desk, "chat", 2)
    assignees = [Case.objects.get(pk=c.pk).assignee for c in [*mails, chat, second_chat]]
    # 0.5 + 0.5 + 0.5 = 1.5 of 2: a chat (1) does not fit any more, neither does the next.
    assert assignees == [agent, agent, agent, None, None]

    # The first mail answered and resolved: 1 of 2, so a chat fits now.
    from luukku.desk.services import change_status

    Case.objects.filter(pk=mails[0].pk).update(category=desk.repairs)
    change_status(Case.objects.get(pk=mails[0].pk), to="resolved", by=agent, version=None)
    balance_assignments.call()
    given = {c.pk: Case.objects.get(pk=c.pk).assignee for c in (chat, second_chat)}
    assert list(given.values()).count(agent) == 1


@pytest.mark.django_db
def test_a_changed_weight_is_counted_into_every_agents_load_at_once(desk: Desk) -> None:
    from luukku.desk.assignment import _candidates_in_sql, candidates_here
    from luukku.desk.capacity import counted_loads, loads_of, save_weights

    queue = _queue(desk, Queue.Assignment.ROUND_ROBIN)
    first, second = _agents(desk, "mia", "noa", capacity=3)
    _new_on(desk, "email", 2)
    _new_on(desk, "chat", 2)
    assert loads_of([first.pk, second.pk]) == {first.pk: 200, second.pk: 200}

    changed = save_weights({"email": 25, "chat": 150, "sms": 100}, by=desk.kari)
    assert changed == {"email": [100, 25], "chat": [100, 150]}
    assert loads_of([first.pk, second.pk]) == {first.pk: 175, second.pk: 175}
    assert counted_loads([first.pk, second.pk]) == loads_of([first.pk, second.pk])  # SQLite's
    now = timezone.now()
    in_sql = [(c.user_id, c.load) for c in _candidates_in_sql(queue, None, now, size=150)]
    here = [(c.user_id, c.load) for c in candidates_here(queue, now=now, size=150)]
    assert in_sql == here == []  # 1.75 + 1.5 > 3
    assert [c.user_id for c in candidates_here(queue, now=now, size=100)] == [first.pk, second.pk]


@pytest.mark.django_db
def test_a_weight_out_of_range_or_an_unknown_channel_is_refused(desk: Desk) -> None:
    from django.core.exceptions import ValidationError

    from luukku.desk.capacity import save_weights, weights

    with pytest.raises(ValidationError, match="fax"):
        save_weights({"fax": 100}, by=None)
    with pytest.raises(ValidationError, match="chat"):
        save_weights({"chat": 1100}, by=None)
    assert weights()["chat"] == 100


@pytest.mark.django_db
def test_an_administrator_sets_weights_and_capacity_in_the_ui(desk: Desk) -> None:
    from django.test import Client

    from luukku.core.models import AuditEntry
    from tests.factories import PASSWORD

    admin = user_with(Role.ADMINISTRATOR, desk.tree.root, username="admin")
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    form = client.get("/desk/setup/channel-weights/").content.decode()
    assert 'name="email"' in form and 'value="1"' in form
    fields = {channel: "1" for channel in ("sms", "chat", "social", "phone", "webform", "api")}
    answer = client.post("/desk/setup/channel-weights/", {**fields, "email": "0.5", "staff": "x"})
    assert "Enter a number." in answer.content.decode()
    client.post("/desk/setup/channel-weights/", {**fields, "email": "0.5", "staff": "1"})
    setup = client.get("/desk/setup/").content.decode()
    table = setup[setup.index('id="channel-weights"') :]
    assert "<td>Email</td><td>0.50</td>" in table
    assert AuditEntry.objects.filter(actor=admin, object_type="desk.channelweight").exists()

    page = f"/people/{desk.kari.pk}/"
    sent = {"form": "edit", "first_name": "Kari", "language": "", "is_active": "on"}
    client.post(page, {**sent, "capacity": "4"})
    assert User.objects.get(pk=desk.kari.pk).capacity == 4

    assert client.login(username="kari", password=PASSWORD)
    assert client.get("/desk/setup/channel-weights/").status_code == 403
