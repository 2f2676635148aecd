from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from luukku.core.models import AuditEntry, Role, User
from tests.conftest import Tree
from tests.factories import PASSWORD, user_with
from tests.test_jobs import run_due_jobs

PAGES = ["/", "/org/", "/people/", "/teams/", "/presence/", "/settings/"]


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.smoke
@pytest.mark.django_db
def test_login_with_the_right_and_wrong_password(tree: Tree) -> None:
    user_with(Role.AGENT, tree.housing, username="kari", presence="offline")
    client = Client()

    wrong = client.post("/login/", {"username": "kari", "password": "nope"})
    right = client.post("/login/", {"username": "kari", "password": PASSWORD}, follow=True)

    assert "The username or password is wrong." in wrong.content.decode()
    assert right.status_code == 200
    assert "Welcome, Test" in right.content.decode()
    kari = User.objects.get(username="kari")
    assert kari.presence == "available"
    assert AuditEntry.objects.filter(actor=kari, action="login").exists()


@pytest.mark.django_db
def test_pages_need_a_login() -> None:
    for page in PAGES:
        response = Client().get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.smoke
@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r, _ in Role.choices])
def test_every_role_can_walk_the_shell(tree: Tree, role: str) -> None:
    client = logged_in(user_with(role, tree.housing))

    for page in PAGES:
        assert client.get(page).status_code == 200, page


@pytest.mark.django_db
def test_administration_links_show_only_to_administrators(tree: Tree) -> None:
    agent_home = logged_in(user_with(Role.AGENT, tree.housing)).get("/").content.decode()
    admin_home = logged_in(user_with(Role.ADMINISTRATOR, tree.root)).get("/").content.decode()

    assert "Audit log" not in agent_home and "Jobs" not in agent_home
    assert "Audit log" in admin_home and "Jobs" in admin_home


@pytest.mark.django_db
def test_agent_cannot_open_admin_pages(tree: Tree) -> None:
    client = logged_in(user_with(Role.AGENT, tree.housing))

    assert client.get("/audit/").status_code == 403
    assert client.get("/jobs/").status_code == 403
    assert client.get("/org/new/").status_code == 403
    assert client.get(f"/org/{tree.housing.pk}/").status_code == 403
    assert client.get("/people/new/").status_code == 403


@pytest.mark.django_db
def test_a_user_of_another_unit_is_out_of_reach(tree: Tree) -> None:
    nurse = user_with(Role.AGENT, tree.health, username="nurse")
    client = logged_in(user_with(Role.AGENT, tree.housing))

    assert client.get(f"/people/{nurse.pk}/").status_code == 403
    assert "nurse" not in client.get("/people/").content.decode()


@pytest.mark.django_db
def test_switching_to_finnish_changes_the_ui_and_dates(tree: Tree) -> None:
    user = user_with(Role.AGENT, tree.housing)
    client = logged_in(user)

    client.post("/settings/", {"form": "settings", "language": "fi", "time_zone": ""})
    page = client.get("/").content.decode()

    assert '<html lang="fi">' in page
    assert "Organisaatio" in page
    assert "Kirjaudu ulos" in page


@pytest.mark.django_db
def test_the_org_tree_shows_on_the_home_page(tree: Tree) -> None:
    page = logged_in(user_with(Role.ADMINISTRATOR, tree.root)).get("/").content.decode()

    for name in ("Root", "Housing", "Housing North", "Health"):
        assert name in page


@pytest.mark.django_db(transaction=True)
def test_password_reset_goes_out_through_the_job_queue(tree: Tree) -> None:
    user_with(Role.AGENT, tree.housing, username="kari", email="kari@example.test")
    client = Client()

    client.post("/password-reset/", {"email": "kari@example.test"})
    assert mail.outbox == []
    run_due_jobs()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kari@example.test"]
    assert "kari" in message.body
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", message.body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "a-fresh-long-passphrase", "new_password2": "a-fresh-long-passphrase"},
        follow=True,
    )
    assert "Your new password is set" in done.content.decode()
    assert User.objects.get(username="kari").check_password("a-fresh-long-passphrase")


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_reveals_nothing(db) -> None:
    response = Client().post("/password-reset/", {"email": "ghost@example.test"}, follow=True)

    assert "Check your email" in response.content.decode()


@pytest.mark.django_db
def test_admin_creates_a_user_and_grants_a_role(tree: Tree) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.housing)
    client = logged_in(admin)

    created = client.post(
        "/people/new/",
        {
            "username": "siri",
            "first_name": "Siri",
            "last_name": "Lie",
            "email": "siri@example.test",
            "language": "nb",
            "org_unit": tree.housing_north.pk,
            "role": "agent",
        },
    )
    siri = User.objects.get(username="siri")
    client.post(f"/people/{siri.pk}/roles/", {"org_unit": tree.housing.pk, "role": "supervisor"})

    assert created.status_code == 302
    assert set(siri.memberships.values_list("role", "org_unit__slug")) == {
        ("agent", "north"),
        ("supervisor", "housing"),
    }
    assert AuditEntry.objects.filter(object_type="core.user", object_id=str(siri.pk)).count() == 3


@pytest.mark.django_db
def test_admin_cannot_grant_roles_outside_their_units(tree: Tree) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.housing)
    kari = user_with(Role.AGENT, tree.housing, username="kari")

    logged_in(admin).post(
        f"/people/{kari.pk}/roles/", {"org_unit": tree.health.pk, "role": "agent"}
    )

    assert not kari.memberships.filter(org_unit=tree.health).exists()


@pytest.mark.django_db
def test_audit_log_lists_and_filters_changes(tree: Tree) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.root, username="boss")
    client = logged_in(admin)
    client.post(
        f"/org/{tree.health.pk}/",
        {
            "name": "Health care",
            "slug": "health",
            "parent": tree.root.pk,
            "time_zone": "Europe/Oslo",
            "language": "nb",
        },
    )

    page = client.get("/audit/", {"action": "update", "object_type": "orgunit"}).content.decode()
    other = client.get("/audit/", {"action": "delete"}).content.decode()

    assert "Health care" in page and "boss" in page
    assert "Health care" not in other


@pytest.mark.django_db
def test_audit_entries_cannot_be_rewritten(tree: Tree) -> None:
    from luukku.core.models.audit import AppendOnlyError

    entry = AuditEntry.objects.first()
    assert entry is not None
    entry.object_repr = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.django_db
def test_presence_toggle_with_htmx_returns_the_fragment(tree: Tree) -> None:
    user = user_with(Role.AGENT, tree.housing)
    client = logged_in(user)

    response = client.post("/presence/me/", {"presence": "busy"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'id="presence-toggle"' in response.content.decode()
    user.refresh_from_db()
    assert user.presence == "busy"


@pytest.mark.django_db
def test_presence_toggle_does_not_redirect_off_site(tree: Tree) -> None:
    client = logged_in(user_with(Role.AGENT, tree.housing))

    response = client.post("/presence/me/", {"presence": "away", "next": "https://evil.example/"})

    assert response["Location"] == "/"


@pytest.mark.django_db
def test_creating_a_token_in_the_ui_shows_it_once(tree: Tree) -> None:
    client = logged_in(user_with(Role.AGENT, tree.housing))

    created = client.post("/settings/", {"form": "token", "name": "laptop"}).content.decode()
    later = client.get("/settings/").content.decode()

    token = re.search(r'id="new-token">(lk_[^<]+)<', created)
    assert token is not None
    assert token.group(1) not in later
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {token.group(1)}").get("/api/v1/users/me").status_code
        == 200
    )


@pytest.mark.django_db(transaction=True)
def test_a_new_user_is_invited_and_chooses_a_password(tree: Tree) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.housing)
    client = logged_in(admin)

    client.post(
        "/people/new/",
        {
            "username": "siri",
            "first_name": "Siri",
            "email": "siri@example.test",
            "language": "nb",
            "org_unit": tree.housing.pk,
            "role": "agent",
        },
    )
    queued = DBTaskResult.objects.get()
    run_due_jobs()

    # The queue holds a link pattern, never a working token.
    assert set(queued.args_kwargs["kwargs"]) == {"user_id", "link_template", "invitation"}
    assert queued.args_kwargs["kwargs"]["link_template"].endswith("/{uid}/{token}/")
    assert len(mail.outbox) == 1
    invitation = mail.outbox[0]
    assert invitation.to == ["siri@example.test"]
    assert "Velkommen" in invitation.subject  # in Siri's language
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", invitation.body)
    assert link is not None
    guest = Client()
    form = guest.get(link.group(1), follow=True)
    guest.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-fresh-long-passphrase", "new_password2": "a-fresh-long-passphrase"},
    )
    siri = User.objects.get(username="siri")
    assert siri.check_password("a-fresh-long-passphrase")
    assert AuditEntry.objects.filter(
        object_id=str(siri.pk), changes__password__1="set by link"
    ).exists()


@pytest.mark.django_db
def test_failed_logins_are_in_the_audit_log(tree: Tree) -> None:
    kari = user_with(Role.AGENT, tree.housing, username="kari")

    Client().post("/login/", {"username": "kari", "password": "guess"})
    Client().post("/login/", {"username": "nobody", "password": "guess"})

    failures = AuditEntry.objects.filter(action="login_failed").order_by("pk")
    assert [(f.object_repr, f.object_id) for f in failures] == [
        ("kari", str(kari.pk)),
        ("nobody", ""),
    ]


@pytest.mark.django_db
def test_a_unit_admin_can_rename_their_own_top_unit(tree: Tree) -> None:
    client = logged_in(user_with(Role.ADMINISTRATOR, tree.housing))

    response = client.post(
        f"/org/{tree.housing.pk}/",
        {
            "name": "Housing services",
            "slug": "housing",
            "parent": tree.root.pk,
            "time_zone": "Europe/Oslo",
            "language": "nb",
        },
    )

    assert response.status_code == 302
    tree.housing.refresh_from_db()
    assert tree.housing.name == "Housing services"
    assert tree.housing.parent_id == tree.root.pk


@pytest.mark.django_db
def test_an_unknown_time_zone_is_refused(tree: Tree) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.root)
    kari = user_with(Role.AGENT, tree.housing)
    from tests.conftest import bearer

    response = bearer(admin).patch(
        f"/api/v1/users/{kari.pk}",
        data=json.dumps({"time_zone": "Mars/Olympus"}),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "time_zone"
