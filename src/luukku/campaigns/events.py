"""What a campaign tells a person's timeline about one of its deliveries: every act
(sent, opened, clicked, bounced, converted, …) in one shape, naming the campaign, the
run, the delivery and the channel, with what is particular to the act."""

from __future__ import annotations

import datetime
from typing import Any

from luukku.campaigns.models import Campaign, Delivery
from luukku.customers.actions.timeline import NewEvent


def delivery_event(
    campaign: Campaign,
    *,
    person_id: int,
    run_id: int,
    delivery_id: int,
    channel: str,
    type: str,
    at: datetime.datetime,
    **payload: Any,
) -> NewEvent:
    return NewEvent(
        person_id=person_id,
        type=type,
        occurred_at=at,
        org_unit_id=campaign.org_unit_id,
        payload={
            "campaign": campaign.pk,
            "name": campaign.name,
            "run": run_id,
            "delivery": delivery_id,
            "channel": channel,
            **payload,
        },
    )


def event_of(delivery: Delivery, type: str, at: datetime.datetime, **payload: Any) -> NewEvent:
    """The event of an act on a delivery (its run and campaign read with it)."""
    return delivery_event(
        delivery.run.campaign,
        person_id=delivery.person_id,
        run_id=delivery.run_id,
        delivery_id=delivery.pk,
        channel=delivery.channel,
        type=type,
        at=at,
        **payload,
    )
