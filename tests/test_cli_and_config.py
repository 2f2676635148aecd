from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from luukku.config import production_problems
from luukku.core.models import Membership, Organization, OrgUnit, Team, User

LUUKKU = [sys.executable, "-m", "luukku"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [*LUUKKU, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.mark.smoke
def test_help_lists_the_commands() -> None:
    result = _run("--help")

    assert result.returncode == 0
    for command in ("serve", "worker", "migrate", "demo", "createadmin", "token"):
        assert f"  {command} " in result.stdout


@pytest.mark.smoke
@pytest.mark.django_db
def test_demo_is_idempotent() -> None:
    call_command("demo", "--persons", "100", stdout=io.StringIO())
    counts = [m.objects.count() for m in (Organization, OrgUnit, User, Membership, Team)]
    call_command("demo", "--persons", "100", stdout=io.StringIO())

    assert [m.objects.count() for m in (Organization, OrgUnit, User, Membership, Team)] == counts
    assert set(User.objects.values_list("username", flat=True)) >= {
        "admin",
        "supervisor",
        "agent",
        "marketer",
    }
    assert User.objects.get(username="agent").check_password("luukku-demo")


@pytest.mark.smoke
@pytest.mark.django_db
def test_token_create_prints_a_token_that_works_against_the_api() -> None:
    call_command("demo", "--persons", "100", stdout=io.StringIO())
    out = io.StringIO()

    call_command("token", "create", "--user", "admin", stdout=out)
    token = out.getvalue().strip()
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/org-units")

    assert response.status_code == 200
    assert "Housing" in {u["name"] for u in response.json()["items"]}


@pytest.mark.django_db
def test_token_revoke_by_prefix_stops_the_token() -> None:
    call_command("demo", "--persons", "100", stdout=io.StringIO())
    out = io.StringIO()
    call_command("token", "create", "--user", "agent", "--name", "script", stdout=out)
    token = out.getvalue().strip()

    call_command("token", "revoke", token.split("_")[1], stdout=io.StringIO())

    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/users/me")
    assert response.status_code == 401


@pytest.mark.django_db
def test_token_for_an_unknown_user_is_a_clear_error() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("token", "create", "--user", "nobody")


@pytest.mark.django_db
def test_createadmin_makes_an_administrator_of_every_top_level_unit() -> None:
    call_command("demo", "--persons", "100", stdout=io.StringIO())

    call_command(
        "createadmin", "--username", "root2", "--password", "a-long-password", stdout=io.StringIO()
    )

    user = User.objects.get(username="root2")
    assert user.check_password("a-long-password")
    assert user.memberships.filter(role="administrator", org_unit__parent__isnull=True).exists()


def test_production_mode_names_what_to_set() -> None:
    problems = production_problems(debug=False, secret_key="short", allowed_hosts=[])

    assert any("LUUKKU_SECRET_KEY" in p for p in problems)
    assert any("LUUKKU_ALLOWED_HOSTS" in p for p in problems)
    assert production_problems(debug=True, secret_key="short", allowed_hosts=[]) == []
    assert (
        production_problems(debug=False, secret_key="x" * 40, allowed_hosts=["crm.example.org"])
        == []
    )


@pytest.mark.smoke
def test_serve_refuses_to_start_in_production_mode_with_the_default_key(tmp_path: Path) -> None:
    env = {"LUUKKU_DEBUG": "0", "LUUKKU_VAR_DIR": str(tmp_path), "LUUKKU_SECRET_KEY": ""}
    env.pop("LUUKKU_SECRET_KEY")
    result = _run("serve", "--port", "0", env={**env, "LUUKKU_ALLOWED_HOSTS": ""})

    assert result.returncode != 0
    assert "LUUKKU_SECRET_KEY" in result.stderr
    assert "LUUKKU_ALLOWED_HOSTS" in result.stderr
