"""Campaign content is refused with its reason before it is saved; the pre-flight report
counts the audience and who would not get the campaign, and why."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from luukku.campaigns.models import Campaign, Content
from luukku.campaigns.services import preflight, save_content
from luukku.customers.models import EmailAddress
from luukku.segments import membership
from luukku.segments.models import Segment
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _campaign(people: People) -> Campaign:  # noqa: F811
    return Campaign.objects.create(name="Spring news", org_unit=people.tree.root)


def test_content_is_checked_before_it_is_saved(people: People) -> None:  # noqa: F811
    campaign = _campaign(people)
    good = Content(
        campaign=campaign,
        channel="email",
        language="nb",
        subject="Hei {{ person.first_name }}",
        body="<mjml><mj-body><mj-section><mj-column><mj-text>Hei</mj-text>"
        "</mj-column></mj-section></mj-body></mjml>",
    )
    save_content(good)
    with pytest.raises(ValidationError) as refused:
        save_content(
            Content(
                campaign=campaign,
                channel="email",
                language="en",
                subject="",
                body="Hi\n{{ person.shoe_size }}",
                body_format="html",
            )
        )
    assert refused.value.messages == [
        "An email needs a subject.",
        "body: line 2, column 3: person.shoe_size is undefined",
    ]
    with pytest.raises(ValidationError, match="MJML cannot be read"):
        save_content(
            Content(campaign=campaign, channel="email", language="sv", subject="S", body="<mjml>")
        )
    save_content(
        Content(campaign=campaign, channel="sms", language="nb", body="Hei {{ person.first_name }}")
    )
    assert campaign.contents.count() == 2


def test_preflight_counts_who_would_not_get_it_and_why(people: People) -> None:  # noqa: F811
    campaign = _campaign(people)
    report = preflight(campaign)
    assert report.problems == [
        "Choose the purpose the campaign is sent for.",
        "Choose at least one segment to send to.",
        "Write the email content in the default language (nb).",
    ]
    save_content(
        Content(campaign=campaign, channel="email", language="nb", subject="S", body="<mjml/>")
    )
    oslo = Segment.objects.create(
        name="Oslo", slug="oslo", org_unit=people.tree.root, kind="static"
    )
    skip = Segment.objects.create(
        name="Skip", slug="skip", org_unit=people.tree.root, kind="static"
    )
    membership.add_static(oslo, [people.anna.pk, people.bjorn.pk, people.cecilie.pk, people.eva.pk])
    membership.add_static(skip, [people.bjorn.pk])
    EmailAddress.objects.filter(person=people.cecilie).update(bounced_at=timezone.now())
    campaign.purpose = people.news
    campaign.save()
    campaign.segments.add(oslo)
    campaign.excluded_segments.add(skip)
    report = preflight(campaign)
    assert report.problems == []
    assert (report.audience, report.excluded_by_segment, report.no_address) == (4, 1, 1)
    assert (report.no_consent, report.will_get) == (1, 1)  # Eva never consented; Anna gets it
