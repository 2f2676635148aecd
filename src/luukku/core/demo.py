"""A believable Nordic demo organization: `luukku demo` loads it, idempotently."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from luukku.core.actions import org as org_actions
from luukku.core.actions import people
from luukku.core.models import Organization, OrgUnit, Role, Team, User

DEMO_PASSWORD = "luukku-demo"  # noqa: S105

UNITS = [
    # slug, name, parent slug
    ("nordby", "Nordby Student Welfare", None),
    ("housing", "Housing", "nordby"),
    ("dining", "Dining", "nordby"),
    ("fitness", "Fitness", "nordby"),
    ("kindergartens", "Kindergartens", "nordby"),
    ("health", "Health", "nordby"),
    ("health-psychology", "Psychological counselling", "health"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    language: str
    roles: tuple[tuple[str, str], ...]  # (role, unit slug); the first is primary


USERS = [
    DemoUser("admin", "Ingrid", "Berg", "en", ((Role.ADMINISTRATOR, "nordby"),)),
    DemoUser("supervisor", "Ola", "Hansen", "nb", ((Role.SUPERVISOR, "housing"),)),
    DemoUser("agent", "Kari", "Nordmann", "nb", ((Role.AGENT, "housing"), (Role.AGENT, "dining"))),
    DemoUser("marketer", "Aino", "Virtanen", "fi", ((Role.MARKETER, "nordby"),)),
    DemoUser("nurse", "Mikko", "Korhonen", "fi", ((Role.AGENT, "health"),)),
    DemoUser("fieldworker", "Lars", "Dahl", "nb", ((Role.FIELD_WORKER, "housing"),)),
    DemoUser("analyst", "Sven", "Lind", "sv", ((Role.ANALYST, "nordby"),)),
]

TEAMS = [
    ("housing", "Housing first line", ["agent", "supervisor"]),
    ("health", "Health reception", ["nurse"]),
]

OFFICE_WEEK = [(day, datetime.time(8, 0), datetime.time(16, 0)) for day in range(5)]


@transaction.atomic
def load_demo(*, password: str = DEMO_PASSWORD) -> Organization:
    organization, _ = Organization.objects.get_or_create(
        slug="nordby",
        defaults={
            "name": "Nordby Student Welfare",
            "country": "NO",
            "time_zone": "Europe/Oslo",
            "language": "nb",
        },
    )
    units: dict[str, OrgUnit] = {}
    for slug, name, parent_slug in UNITS:
        existing = OrgUnit.objects.filter(organization=organization, slug=slug).first()
        units[slug] = existing or org_actions.create_org_unit(
            organization=organization,
            name=name,
            slug=slug,
            parent=units[parent_slug] if parent_slug else None,
            by=None,
        )
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = people.create_user(
                organization=organization,
                username=spec.username,
                email=f"{spec.username}@demo.luukku.test",
                first_name=spec.first_name,
                last_name=spec.last_name,
                language=spec.language,
                password=password,
                by=None,
            )
            if spec.roles[0][0] != Role.ADMINISTRATOR:
                people.set_working_hours(user=user, intervals=OFFICE_WEEK, by=None)
        for index, (role, slug) in enumerate(spec.roles):
            people.grant_role(
                user=user, org_unit=units[slug], role=role, is_primary=index == 0, by=None
            )
    for slug, name, members in TEAMS:
        if not Team.objects.filter(org_unit=units[slug], name=name).exists():
            people.create_team(
                org_unit=units[slug],
                name=name,
                members=list(User.objects.filter(username__in=members)),
                by=None,
            )
    return organization
