"""Demo campaigns: a draft offer from the fitness centre, ready to preview and send, and
a weekly tips letter on the calendar; the frequency cap and the SMS sender name."""

from __future__ import annotations

import datetime

from django.utils import timezone

from luukku.campaigns.models import Campaign, Content, FrequencyCap
from luukku.campaigns.services import save_content
from luukku.channels.models import SmsSender
from luukku.consent.models import Purpose
from luukku.core.models import OrgUnit
from luukku.segments.models import Segment

OFFER = """<mjml>
  <mj-head><mj-style>
    .lead div { font-size: 20px !important; color: #1d3557 !important; }
  </mj-style></mj-head>
  <mj-body background-color="#f4f7f9">
    <mj-section background-color="#ffffff"><mj-column>
      <mj-text css-class="lead">Hei {{ person.first_name | default: "der" }}!</mj-text>
      <mj-text>Nå får du 20 % rabatt på medlemskap ved treningssenteret
        {% if person.city != "" %}i {{ person.city }}{% endif %} ut måneden.</mj-text>
      <mj-button href="https://nordby.example/trening/tilbud" background-color="#2a6f97">
        Se tilbudet</mj-button>
      <mj-text><a href="https://nordby.example/trening/timeplan">Timeplanen</a></mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>"""

OFFER_EN = (
    OFFER.replace("Hei", "Hi")
    .replace('"der"', '"there"')
    .replace(
        "Nå får du 20 % rabatt på medlemskap ved treningssenteret", "Get 20 % off a membership"
    )
    .replace("ut måneden", "this month")
    .replace("i {{", "in {{")
    .replace("Se tilbudet", "See the offer")
    .replace("Timeplanen", "The timetable")
)


def _next_monday_at_nine() -> datetime.datetime:
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time(9)))


def load_campaign_demo(units: dict[str, OrgUnit]) -> int:
    """Returns how many campaigns were made."""
    if Campaign.objects.filter(name="Spring offer from the fitness centre").exists():
        return 0
    purpose = Purpose.objects.filter(slug="fitness-news").first()
    readers = Segment.objects.filter(slug="fitness-readers").first()
    if purpose is None or readers is None:
        return 0
    if not FrequencyCap.objects.exists():
        FrequencyCap.objects.create(messages=4, days=7)
    SmsSender.objects.get_or_create(org_unit=units["nordby"], defaults={"sender": "Nordby"})
    offer = Campaign.objects.create(
        name="Spring offer from the fitness centre",
        org_unit=units["fitness"],
        purpose=purpose,
        default_language="nb",
        goal_event="fitness.membership_started",
        goal_days=14,
    )
    offer.segments.add(readers)
    save_content(
        Content(
            campaign=offer,
            channel="email",
            language="nb",
            subject="{{ person.first_name | default: 'Hei' }}, 20 % på trening",
            body=OFFER,
        )
    )
    save_content(
        Content(
            campaign=offer,
            channel="email",
            language="en",
            subject="{{ person.first_name | default: 'Hi' }}, 20 % off training",
            body=OFFER_EN,
        )
    )
    tips = Campaign.objects.create(
        name="Weekly training tips",
        org_unit=units["fitness"],
        purpose=purpose,
        status=Campaign.Status.SCHEDULED,
        scheduled_at=_next_monday_at_nine(),
        recurrence="weekly",
    )
    tips.segments.add(readers)
    save_content(
        Content(
            campaign=tips,
            channel="email",
            language="nb",
            subject="Ukens treningstips",
            body=OFFER.replace(
                "Nå får du 20 % rabatt på medlemskap ved treningssenteret",
                "Ukens tips fra treningssenteret",
            ),
        )
    )
    return 2
