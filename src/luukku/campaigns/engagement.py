"""What recipients do with a campaign: opens, clicks, unsubscribes, each recorded on
the delivery (the first time) and as an event on the person's timeline, so segments
and journeys can use it.

Opens are counted from the pixel, and some mail services fetch every image on
arrival through a proxy (Apple Mail Privacy Protection, Gmail's image proxy): such
opens are marked `proxy` and the report shows how many there were, rather than
pretending they are a person reading.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from luukku.campaigns import stats
from luukku.campaigns.clients import Client, Place, client_of, place_of
from luukku.campaigns.events import event_of
from luukku.campaigns.models import Delivery, Link
from luukku.customers.actions.timeline import append_events

# Fetchers that load images for the reader, not when the reader reads.
PROXIES = ("GoogleImageProxy", "YahooMailProxy", "ggpht.com", "Feedfetcher")


def is_proxy(user_agent: str) -> bool:
    # Apple Mail Privacy Protection fetches with a bare "Mozilla/5.0" and no more.
    return user_agent.strip() == "Mozilla/5.0" or any(p in user_agent for p in PROXIES)


def _first(delivery: Delivery, field: str, at: datetime.datetime) -> bool:
    """Set the time of the first such act; whether this was the first."""
    changed = Delivery.objects.filter(pk=delivery.pk, **{f"{field}__isnull": True}).update(
        **{field: at}
    )
    return bool(changed)


def _where(user_agent: str, ip: str | None) -> tuple[Place, Client, dict[str, str]]:
    place, client = place_of(ip), client_of(user_agent)
    facts = {
        "country": place.country,
        "city": place.city,
        "device": client.device,
        "system": client.system,
        "client": client.client,
    }
    return place, client, {k: v for k, v in facts.items() if v}


@transaction.atomic
def record_open(delivery: Delivery, *, user_agent: str, ip: str | None) -> None:
    at = timezone.now()
    first = _first(delivery, "opened_at", at)
    proxy = is_proxy(user_agent)
    place, client, facts = _where(user_agent, ip)
    metrics = [("opened", "")]
    if first:
        metrics.append(("opened_unique", ""))
    if proxy:
        metrics.append(("opened_proxy", ""))
    else:
        metrics += [("open_country", _place_key(place)), ("open_client", client.key)]
    stats.bump_delivery(delivery, at, *metrics)
    append_events([event_of(delivery, "campaign.opened", at, first=first, proxy=proxy, **facts)])


def _place_key(place: Place) -> str:
    return f"{place.country or '?'}/{place.city}" if place.city else (place.country or "?")


@transaction.atomic
def record_click(delivery: Delivery, link: Link, *, user_agent: str, ip: str | None) -> None:
    at = timezone.now()
    first = _first(delivery, "clicked_at", at)
    metrics = [("clicked", ""), ("link", str(link.position))]
    if first:
        metrics.append(("clicked_unique", ""))
    if delivery.opened_at is None and _first(delivery, "opened_at", at):
        metrics.append(("opened_unique", ""))  # a click means it was opened, pixel or not
    place, client, facts = _where(user_agent, ip)
    metrics += [("click_country", _place_key(place)), ("click_client", client.key)]
    Link.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
    stats.bump_delivery(delivery, at, *metrics)
    append_events(
        [
            event_of(
                delivery,
                "campaign.clicked",
                at,
                first=first,
                link=link.url,
                position=link.position,
                **facts,
            )
        ]
    )


@transaction.atomic
def record_unsubscribe(delivery: Delivery) -> None:
    at = timezone.now()
    if _first(delivery, "unsubscribed_at", at):
        stats.bump_delivery(delivery, at, ("unsubscribed", ""))
        append_events([event_of(delivery, "campaign.unsubscribed", at)])


def record_receipt(delivery_id: int, status: str, error: str) -> None:
    """An SMS delivery receipt from the provider: delivered, or failed after all."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("run__campaign")
            .filter(pk=delivery_id, status__in=[Delivery.Status.SENT, Delivery.Status.SENDING])
            .first()
        )
        if delivery is None:
            return  # unknown, or already final: a repeated receipt changes nothing
        at = timezone.now()
        if status == "delivered":
            delivery.status = Delivery.Status.DELIVERED
        else:
            delivery.status, delivery.error = Delivery.Status.FAILED, error or "undelivered"
        delivery.save(update_fields=["status", "error"])
        # A failure after the message was handed over: not a failure to send it.
        stats.bump_delivery(
            delivery, at, ("delivered" if status == "delivered" else "undelivered", "")
        )
        append_events([event_of(delivery, f"campaign.{status}", at, error=error)])
