from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from luukku.core.actions.tokens import create_api_token, revoke_api_token
from luukku.core.models import ApiToken, AuditEntry, OrgUnit, Role
from tests.conftest import Tree, bearer
from tests.factories import UserFactory, user_with

pytestmark = pytest.mark.django_db


def _client(plain: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


@pytest.mark.smoke
def test_a_token_works_and_is_stored_only_as_a_hash(org_admin) -> None:
    token, plain = create_api_token(user=org_admin, name="ci", by=None)

    response = _client(plain).get("/api/v1/users/me")

    assert response.status_code == 200
    assert response.json()["username"] == "orgadmin"
    stored = ApiToken.objects.get(pk=token.pk)
    secret = plain.split("_", 2)[2]  # the secret itself may hold "_"
    assert secret and secret not in stored.secret_hash and plain not in stored.secret_hash
    assert stored.last_used_at is not None


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ("revoke", "The token has been revoked."),
        ("expire", "The token has expired."),
        ("deactivate", "The token's user is deactivated."),
        ("tamper", "The token is not valid."),
        ("garble", "The token is malformed."),
    ],
)
def test_a_bad_token_is_refused_with_its_reason(org_admin, spoil: str, reason: str) -> None:
    token, plain = create_api_token(user=org_admin, name="ci", by=None)
    if spoil == "revoke":
        revoke_api_token(token, by=None)
    elif spoil == "expire":
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )
    elif spoil == "deactivate":
        org_admin.is_active = False
        org_admin.save()
    elif spoil == "tamper":
        plain = plain[:-4] + "AAAA"
    elif spoil == "garble":
        plain = "not-a-luukku-token"

    response = _client(plain).get("/api/v1/org-units")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"] == reason


def test_without_credentials_the_api_says_how_to_authenticate(db) -> None:
    response = Client().get("/api/v1/org-units")

    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_unknown_fields_are_rejected_and_nothing_is_created(tree: Tree, org_admin) -> None:
    before = OrgUnit.objects.count()

    response = bearer(org_admin).post(
        "/api/v1/org-units",
        data=json.dumps(
            {"name": "Sauna", "slug": "sauna", "parent_id": tree.root.pk, "colour": "red"}
        ),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "colour",
            "in": "body",
            "message": "Unknown field; it is not part of this resource.",
        }
    ]
    assert OrgUnit.objects.count() == before


def test_field_errors_name_the_field(tree: Tree, org_admin) -> None:
    response = bearer(org_admin).post(
        "/api/v1/org-units",
        data=json.dumps({"name": "", "slug": "Not A Slug", "parent_id": tree.root.pk}),
        content_type="application/json",
    )

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "slug"}


def test_a_duplicate_short_name_is_a_field_error(tree: Tree, org_admin) -> None:
    response = bearer(org_admin).post(
        "/api/v1/org-units",
        data=json.dumps({"name": "Health 2", "slug": "health", "parent_id": tree.root.pk}),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_moving_a_unit_below_itself_is_refused(tree: Tree, org_admin) -> None:
    response = bearer(org_admin).patch(
        f"/api/v1/org-units/{tree.housing.pk}",
        data=json.dumps({"parent_id": tree.housing_north.pk}),
        content_type="application/json",
    )

    assert response.status_code == 409
    assert "below itself" in response.json()["detail"]
    tree.housing.refresh_from_db()
    assert tree.housing.parent_id == tree.root.pk


def test_moving_a_unit_moves_its_subtree(tree: Tree, org_admin) -> None:
    response = bearer(org_admin).patch(
        f"/api/v1/org-units/{tree.housing.pk}",
        data=json.dumps({"parent_id": tree.health.pk}),
        content_type="application/json",
    )

    assert response.status_code == 200
    tree.housing_north.refresh_from_db()
    assert tree.housing_north.is_within(tree.health)
    assert tree.housing_north.depth == 3


def test_cursor_pagination_walks_every_item_once(tree: Tree, org_admin) -> None:
    for n in range(7):
        user_with(Role.AGENT, tree.housing, username=f"pager{n}")
    client = bearer(org_admin)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/users", params).json()
        seen += [u["username"] for u in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break

    assert sorted(seen) == sorted({*seen})
    assert {f"pager{n}" for n in range(7)} <= set(seen)
    assert pages == -(-len(seen) // 3)


def test_a_forged_cursor_is_a_clear_error(org_admin) -> None:
    response = bearer(org_admin).get("/api/v1/users", {"cursor": "forged"})

    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_users_can_be_filtered_like_in_the_ui(tree: Tree, org_admin) -> None:
    user_with(Role.SUPERVISOR, tree.health, username="sup", first_name="Siri")
    user_with(Role.AGENT, tree.housing_north, username="agnes")

    client = bearer(org_admin)
    by_unit = client.get("/api/v1/users", {"org_unit_id": tree.housing.pk}).json()["items"]
    by_role = client.get("/api/v1/users", {"role": "supervisor"}).json()["items"]
    by_text = client.get("/api/v1/users", {"q": "siri"}).json()["items"]

    assert [u["username"] for u in by_unit] == ["agnes"]
    assert [u["username"] for u in by_role] == ["sup"]
    assert [u["username"] for u in by_text] == ["sup"]


def test_writes_are_audited_with_before_and_after(tree: Tree, org_admin) -> None:
    client = bearer(org_admin)

    client.patch(
        f"/api/v1/org-units/{tree.health.pk}",
        data=json.dumps({"name": "Health services", "time_zone": "Europe/Helsinki"}),
        content_type="application/json",
    )

    entry = AuditEntry.objects.filter(object_type="core.orgunit", action="update").get()
    assert entry.actor == org_admin
    assert entry.via == "api"
    assert entry.changes == {
        "name": ["Health", "Health services"],
        "time_zone": ["Europe/Oslo", "Europe/Helsinki"],
    }


def test_creating_a_user_with_roles(tree: Tree, org_admin) -> None:
    response = bearer(org_admin).post(
        "/api/v1/users",
        data=json.dumps(
            {
                "username": "liisa",
                "email": "Liisa@Example.test",
                "language": "fi",
                "memberships": [
                    {"org_unit_id": tree.health.pk, "role": "agent", "is_primary": True},
                    {"org_unit_id": tree.housing.pk, "role": "field_worker"},
                ],
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "Liisa@example.test"
    assert {(m["org_unit_id"], m["role"]) for m in body["memberships"]} == {
        (tree.health.pk, "agent"),
        (tree.housing.pk, "field_worker"),
    }


def test_a_user_cannot_be_created_without_a_unit(org_admin) -> None:
    response = bearer(org_admin).post(
        "/api/v1/users",
        data=json.dumps({"username": "floating", "memberships": []}),
        content_type="application/json",
    )

    assert response.status_code == 422


def test_openapi_document_and_docs_page(db) -> None:
    spec = Client().get("/api/v1/openapi.json")
    docs = Client().get("/api/v1/docs")

    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"/api/v1/org-units", "/api/v1/users", "/api/v1/teams", "/api/v1/presence"} <= set(paths)
    assert docs.status_code == 200


def test_session_auth_needs_csrf_for_writes(tree: Tree) -> None:
    user = UserFactory(roles=[(Role.AGENT, tree.housing)])
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    read = client.get("/api/v1/users/me")
    write = client.put(
        f"/api/v1/users/{user.pk}/presence",
        data=json.dumps({"presence": "busy"}),
        content_type="application/json",
    )

    assert read.status_code == 200
    assert write.status_code == 403
    user.refresh_from_db()
    assert user.presence == "available"


def test_a_body_too_large_is_a_problem_not_a_page(org_admin, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = bearer(org_admin).post(
        "/api/v1/org-units",
        data=json.dumps({"name": "x" * 5_000, "slug": "big", "parent_id": 1}),
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
