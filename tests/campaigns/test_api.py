"""The campaigns API: a campaign made, its content written (refused with the line when
it does not render), checked, sent and reported on; an unknown field is refused."""

from __future__ import annotations

import pytest

from luukku.segments import membership
from luukku.segments.models import Segment
from tests.campaigns.test_sending import BODY, Sink, sink  # noqa: F401 (a fixture)
from tests.conftest import bearer
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_campaign_through_the_api(sink: Sink, people: People) -> None:  # noqa: F811
    oslo = Segment.objects.create(
        name="Oslo", slug="oslo", org_unit=people.tree.root, kind="static"
    )
    membership.add_static(oslo, [people.anna.pk, people.bjorn.pk, people.eva.pk])
    api = bearer(people.marketer)

    unknown = api.post(
        "/api/v1/campaigns",
        {"name": "X", "org_unit": "root", "colour": "red"},
        content_type="application/json",
    )
    assert unknown.status_code == 422 and "colour" in unknown.content.decode()
    made = api.post(
        "/api/v1/campaigns",
        {
            "name": "Spring",
            "org_unit": people.tree.root.slug,
            "purpose": "news",
            "segments": ["oslo"],
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    campaign = made.json()["id"]

    not_yet = api.post(f"/api/v1/campaigns/{campaign}/send", {}, content_type="application/json")
    assert not_yet.status_code == 422
    assert "Write the email content in the default language (nb)." in not_yet.json()["detail"]
    broken = api.put(
        f"/api/v1/campaigns/{campaign}/contents",
        {
            "channel": "email",
            "language": "nb",
            "subject": "Hei",
            "body": "Hei\n{{ person.shoe }}",
            "body_format": "html",
        },
        content_type="application/json",
    )
    assert broken.status_code == 422
    assert "line 2, column 3: person.shoe is undefined" in broken.json()["detail"]
    written = api.put(
        f"/api/v1/campaigns/{campaign}/contents",
        {
            "channel": "email",
            "language": "nb",
            "subject": "Hei {{ person.first_name }}",
            "body": BODY,
        },
        content_type="application/json",
    )
    assert written.status_code == 200

    checked = api.get(f"/api/v1/campaigns/{campaign}/preflight").json()
    assert (checked["audience"], checked["no_consent"], checked["will_get"]) == (3, 1, 2)
    sent = api.post(f"/api/v1/campaigns/{campaign}/send", {}, content_type="application/json")
    assert sent.status_code == 202 and sent.json()["status"] == "sending"
    run_due_jobs()
    got = api.get(f"/api/v1/campaigns/{campaign}").json()
    assert got["status"] == "finished" and got["counts"]["sent"] == 2
    report = api.get(f"/api/v1/campaigns/{campaign}/report").json()
    assert report["totals"]["sent"] == 2 and report["states"]["skipped"] == 1
