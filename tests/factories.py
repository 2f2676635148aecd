"""Test data builders. Org units and users are made through the same actions the app uses."""

from __future__ import annotations

from typing import Any

import factory

from luukku.core.actions import org as org_actions
from luukku.core.actions import people
from luukku.core.models import Organization, OrgUnit, Role, Team, User

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = "Test Welfare"
    slug = "test"
    time_zone = "Europe/Oslo"
    language = "nb"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    organization = factory.SubFactory(OrganizationFactory)
    parent = None
    name = factory.Sequence(lambda n: f"Unit {n}")
    slug = factory.Sequence(lambda n: f"unit-{n}")

    @classmethod
    def _create(cls, model_class: type[OrgUnit], *args: Any, **kwargs: Any) -> OrgUnit:
        return org_actions.create_org_unit(by=None, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)
    presence = "available"

    @factory.post_generation
    def roles(self, create: bool, extracted: list[tuple[str, OrgUnit]] | None, **kw: Any) -> None:
        for index, (role, unit) in enumerate(extracted or []):
            people.grant_role(user=self, org_unit=unit, role=role, is_primary=index == 0, by=None)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")

    @classmethod
    def _create(cls, model_class: type[Team], *args: Any, **kwargs: Any) -> Team:
        return people.create_team(members=kwargs.pop("members", []), by=None, **kwargs)


def user_with(role: str, unit: OrgUnit, **kwargs: Any) -> User:
    return UserFactory(roles=[(role, unit)], **kwargs)


__all__ = [
    "PASSWORD",
    "OrgUnitFactory",
    "OrganizationFactory",
    "Role",
    "TeamFactory",
    "UserFactory",
    "user_with",
]
