"""Marketers build segments in the builder with a live count, see members and why a
person is in; source systems and tools use the same through the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from luukku.core.models import Role
from luukku.segments.models import Segment
from tests.conftest import bearer
from tests.factories import PASSWORD, user_with
from tests.segments.conftest import FOUR_CONDITIONS, People
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def _json(client: Client, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_the_builder_counts_as_the_marketer_edits_and_saves_the_rule(people: People) -> None:
    client = Client()
    assert client.login(username="maria", password=PASSWORD)
    page = client.get("/segments/new/").content.decode()
    assert 'name="c.all.0.field"' in page  # a first condition to start from
    rule = json.dumps({"all": [{"kind": "attribute", "field": "age", "op": "lt", "value": 26}]})
    form = {"rule": rule, "org_unit": people.tree.root.pk}
    live = client.post("/segments/builder/", form).content.decode()
    assert "3 persons now" in live and "Anna" in live
    # The marketer changes the city field of the first condition, and adds one.
    changed = client.post(
        "/segments/builder/",
        {**form, "c.all.0.field": "city", "c.all.0.op": "eq", "c.all.0.value": "Oslo"},
    ).content.decode()
    assert "5 persons now" in changed
    added = client.post(
        "/segments/builder/", {**form, "builder_action": "add:all"}
    ).content.decode()
    assert 'name="c.all.1.field"' in added
    broken = client.post(
        "/segments/builder/",
        {**form, "c.all.0.field": "first_name", "c.all.0.op": "regex", "c.all.0.value": "(["},
    ).content.decode()
    assert "all.0: the regular expression does not compile" in broken

    saved = client.post(
        "/segments/new/",
        {
            "name": "Under 26",
            "slug": "under-26",
            "org_unit": people.tree.root.pk,
            "kind": "dynamic",
            "is_active": "on",
            "rule": rule,
        },
    )
    assert saved.status_code == 302 and saved["Location"] == "/segments/under-26/"
    run_due_jobs()
    detail = client.get("/segments/under-26/").content.decode()
    assert '<dd id="member-count">3</dd>' in detail
    why = client.get(f"/segments/under-26/?person={people.cecilie.pk}").content.decode()
    assert "not a member." in why and "✘" in why
    profile = client.get(f"/customers/persons/{people.anna.pk}/").content.decode()
    assert "Under 26" in profile[profile.index('id="profile-segments"') :]
    assert client.login(
        username=user_with(Role.AGENT, people.tree.root).username, password=PASSWORD
    )
    assert client.get("/segments/").status_code == 403


def test_segments_through_the_api(people: People) -> None:
    api = bearer(people.marketer)
    made = _json(
        api,
        "post",
        "/api/v1/segments",
        {"name": "Engaged", "slug": "engaged", "org_unit": "root", "rule": FOUR_CONDITIONS},
    )
    assert made.status_code == 201, made.content
    run_due_jobs()
    body = api.get("/api/v1/segments/engaged").json()
    assert body["member_count"] == 1 and body["evaluated_at"] is not None
    listed = api.get("/api/v1/segments/engaged/members").json()
    assert [m["person_id"] for m in listed["items"]] == [people.anna.pk]
    why = api.get(f"/api/v1/segments/engaged/members/{people.bjorn.pk}").json()
    assert why["member"] is False
    met = {c["path"]: c["met"] for c in why["conditions"]}
    assert met["all.0"] and met["all.4.not"]  # he has a recent case, which the rule excludes

    preview = _json(
        api, "post", "/api/v1/segments/preview", {"rule": {"kind": "case"}, "org_unit": "root"}
    )
    assert preview.json() == {"count": 1, "problems": []}
    bad = _json(
        api,
        "post",
        "/api/v1/segments",
        {
            "name": "X",
            "slug": "x",
            "org_unit": "root",
            "rule": {"kind": "segment", "segment": "nope"},
        },
    )
    assert bad.status_code == 422 and "no segment nope" in bad.content.decode()
    unknown = _json(
        api, "post", "/api/v1/segments", {"name": "Y", "slug": "y", "org_unit": "root", "colour": 1}
    )
    assert unknown.status_code == 422

    static = _json(
        api,
        "post",
        "/api/v1/segments",
        {"name": "VIP", "slug": "vip", "org_unit": "root", "kind": "static"},
    )
    assert static.status_code == 201
    added = _json(
        api, "post", "/api/v1/segments/vip/members", {"add": [people.eva.pk, people.dag.pk]}
    )
    assert added.json()["member_count"] == 2
    missing = _json(api, "post", "/api/v1/segments/vip/members", {"add": [999999]})
    assert missing.status_code == 422
    nested = _json(
        api,
        "post",
        "/api/v1/segments",
        {
            "name": "N",
            "slug": "n",
            "org_unit": "root",
            "rule": {"kind": "segment", "segment": "vip"},
        },
    )
    assert nested.status_code == 201
    assert api.delete("/api/v1/segments/vip").status_code == 409  # "n" is built on it
    assert api.delete("/api/v1/segments/n").status_code == 204
    assert not Segment.objects.filter(slug="n").exists()


def test_a_segment_others_are_built_on_is_not_deleted_from_the_page(people: People) -> None:
    from luukku.segments.services import save_segment

    base = save_segment(
        Segment(name="Base", slug="base", org_unit=people.tree.root, kind="static"), by=None
    )
    save_segment(
        Segment(
            name="On top",
            slug="on-top",
            org_unit=people.tree.root,
            rule={"kind": "segment", "segment": "base"},
        ),
        by=None,
    )
    client = Client()
    assert client.login(username="maria", password=PASSWORD)
    refused = client.post("/segments/base/delete/", follow=True).content.decode()
    assert "Other segments are built on it: On top" in refused
    assert client.post("/segments/on-top/delete/").status_code == 302
    client.post("/segments/base/delete/")
    assert not Segment.objects.filter(pk=base.pk).exists()
