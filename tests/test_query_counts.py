"""Lists cost the same number of queries whether they show 3 rows or 30 (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from luukku.core.models import Role, User
from tests.conftest import Tree
from tests.factories import TeamFactory, user_with

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/users",
    "/api/v1/teams",
    "/api/v1/presence",
    "/people/",
    "/teams/",
    "/presence/",
]


def grow(tree: Tree, n: int) -> None:
    start = User.objects.count()
    for i in range(n):
        user = user_with(Role.AGENT, tree.housing, username=f"grow{start}-{i}")
        TeamFactory(org_unit=tree.housing, members=[user])


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_query_count_does_not_grow_with_rows(tree: Tree, url: str) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.root)
    client = Client()
    client.force_login(admin)
    grow(tree, 3)
    client.get(url)  # warm caches (content types, session)
    few = queries(client, url)

    grow(tree, 27)
    many = queries(client, url)

    assert many == few, f"{url}: {few} queries for 3 rows, {many} for 30"
