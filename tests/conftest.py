from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from luukku.core.actions.tokens import create_api_token
from luukku.core.models import OrgUnit, Role, User
from tests.factories import OrganizationFactory, OrgUnitFactory, user_with

# Playwright's sync API runs an event loop in the test thread; Django's ORM is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_desk_caches() -> None:
    """A test's rows are rolled back without signals: forget what was cached from them."""
    from luukku.desk.assignment import forget_rosters
    from luukku.desk.capacity import forget_weights
    from luukku.desk.rules import forget_rules

    forget_rules()
    forget_rosters()
    forget_weights()


@pytest.fixture(autouse=True)
def _fast_and_english(settings: Any) -> None:
    from django.utils import translation

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    translation.activate("en")


@dataclass
class Tree:
    """Root ─┬─ Housing ── Housing North
    └─ Health"""

    root: OrgUnit
    housing: OrgUnit
    housing_north: OrgUnit
    health: OrgUnit


@pytest.fixture
def tree(db: None) -> Tree:
    org = OrganizationFactory()
    root = OrgUnitFactory(organization=org, name="Root", slug="root")
    housing = OrgUnitFactory(organization=org, name="Housing", slug="housing", parent=root)
    north = OrgUnitFactory(organization=org, name="Housing North", slug="north", parent=housing)
    health = OrgUnitFactory(organization=org, name="Health", slug="health", parent=root)
    return Tree(root=root, housing=housing, housing_north=north, health=health)


@pytest.fixture
def org_admin(tree: Tree) -> User:
    return user_with(Role.ADMINISTRATOR, tree.root, username="orgadmin")


def bearer(user: User) -> Client:
    _token, plain = create_api_token(user=user, name="test", by=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


@pytest.fixture
def api_as():
    return bearer
