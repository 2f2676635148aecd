"""Bounces and complaints about campaign mail, matched to their delivery by the return
path it went out with (VERP: bounce+<delivery>-<signature>@…), no guessing from the
report's text.

- A permanent failure (5.x.x) marks the delivery bounced and blocks the address: no
  campaign or journey mails it again (segments and the consent gate see it as no
  working address) until someone confirms it anew.
- A temporary one (4.x.x) is counted; `SOFT_LIMIT` of them within `SOFT_WINDOW` block
  the address as a permanent one would.
- A complaint (the recipient pressed "this is spam") withdraws their consent to the
  campaign's purpose on email, recorded in the consent ledger with the report as
  evidence, and is counted for the campaign.
Each is an event on the person's timeline.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from luukku.campaigns import stats, tracking
from luukku.campaigns.events import event_of
from luukku.campaigns.models import Delivery
from luukku.channels.inbound import Bounce, Complaint, InboundMessage
from luukku.consent.models import Action, Source
from luukku.consent.services import Evidence, record
from luukku.customers.actions.timeline import append_events
from luukku.customers.models import EmailAddress

SOFT_LIMIT = 3
SOFT_WINDOW = datetime.timedelta(days=30)


def claims(address: str) -> bool:
    return tracking.delivery_of_bounce(address.rpartition("@")[0]) is not None


def handle_return(address: str, message: InboundMessage) -> str:
    """What came back to a campaign's return path; a short outcome for the receipt."""
    delivery_id = tracking.delivery_of_bounce(address.rpartition("@")[0])
    if delivery_id is None:
        return "not a return path of ours: ignored"
    delivery = (
        Delivery.objects.select_related("run__campaign__purpose", "person")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return f"delivery {delivery_id} no longer exists: ignored"
    if message.complaint is not None:
        return complained(delivery, message.complaint)
    if message.bounce is not None:
        return bounced(delivery, message.bounce)
    return "neither a bounce nor a complaint (an automatic reply?): ignored"


def _block(address: str) -> int:
    return EmailAddress.objects.filter(
        address_lower=address.lower(), bounced_at__isnull=True
    ).update(bounced_at=timezone.now())


@transaction.atomic
def bounced(delivery: Delivery, bounce: Bounce) -> str:
    answer = f"{bounce.status} {bounce.diagnostic}".strip()[:1000]
    now = timezone.now()
    if bounce.permanent:
        changed = Delivery.objects.filter(
            pk=delivery.pk, status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED]
        ).update(status=Delivery.Status.BOUNCED, error=answer)
        if changed:
            stats.bump_delivery(delivery, now, ("bounced", ""))
        blocked = _block(delivery.address)
        append_events(
            [
                event_of(
                    delivery,
                    "campaign.bounced",
                    now,
                    permanent=True,
                    status=bounce.status,
                    diagnostic=bounce.diagnostic,
                )
            ]
        )
        return f"delivery {delivery.pk}: bounced ({answer}); address blocked: {blocked}"
    Delivery.objects.filter(pk=delivery.pk).update(soft_bounced_at=now, error=answer)
    stats.bump_delivery(delivery, now, ("soft_bounced", ""))
    recent = Delivery.objects.filter(
        address__iexact=delivery.address, soft_bounced_at__gte=now - SOFT_WINDOW
    ).count()
    blocked = _block(delivery.address) if recent >= SOFT_LIMIT else 0
    append_events(
        [
            event_of(
                delivery,
                "campaign.bounced",
                now,
                permanent=False,
                status=bounce.status,
                diagnostic=bounce.diagnostic,
                blocked=bool(blocked),
            )
        ]
    )
    return f"delivery {delivery.pk}: soft bounce {recent} of {SOFT_LIMIT}" + (
        "; address blocked" if blocked else ""
    )


@transaction.atomic
def complained(delivery: Delivery, complaint: Complaint) -> str:
    now = timezone.now()
    first = Delivery.objects.filter(pk=delivery.pk, complained_at__isnull=True).update(
        complained_at=now
    )
    if not first:
        return f"delivery {delivery.pk}: complaint already recorded"
    stats.bump_delivery(delivery, now, ("complained", ""))
    purpose = delivery.run.campaign.purpose
    if purpose is not None:
        record(
            delivery.person,
            purpose,
            Action.WITHDRAWN,
            Evidence(
                source=Source.COMPLAINT,
                details={
                    "feedback_type": complaint.feedback_type,
                    "delivery": delivery.pk,
                    "message_id": complaint.original_message_id,
                },
            ),
            channels=["email"],
        )
    append_events(
        [
            event_of(
                delivery,
                "campaign.complained",
                now,
                feedback_type=complaint.feedback_type,
            )
        ]
    )
    return f"delivery {delivery.pk}: complaint; consent to {purpose} by email withdrawn"
