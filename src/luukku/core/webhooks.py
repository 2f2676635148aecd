"""Signed webhooks out: one delivery row per endpoint and event, sent and retried by a job.

Payloads carry identifiers and the names of changed fields, never the personal data
itself: a receiver fetches what it needs through the API with its own token, so the
API's permission checks apply to it too.

Signature: `X-Luukku-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the endpoint's secret. Receivers should reject signatures older than 5 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from luukku.core.access import Perm, units_for_restricted
from luukku.core.actions import audit
from luukku.core.jobs import enqueue_on_commit, job
from luukku.core.models import AuditEntry, OrgUnit, User, WebhookDelivery, WebhookEndpoint

TIMEOUT_SECONDS = 10
EVENTS = [
    "person.created",
    "person.updated",
    "organization.created",
    "organization.updated",
    "import.completed",
    "case.created",
    "case.updated",
]


class DeliveryFailed(Exception):
    pass


def may_receive_restricted(actor: User, unit: OrgUnit) -> bool:
    """An endpoint scoped to a unit receives that unit's restricted records: only staff of
    the unit may set one up or read its deliveries (ADR 0006)."""
    return units_for_restricted(actor, Perm.CUSTOMER_VIEW).filter(pk=unit.pk).exists()


def visible_deliveries(actor: User) -> Any:
    units = units_for_restricted(actor, Perm.CUSTOMER_VIEW)
    return WebhookDelivery.objects.filter(
        Q(endpoint__org_unit__isnull=True) | Q(endpoint__org_unit__in=units)
    )


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def create_endpoint(
    *,
    url: str,
    description: str = "",
    events: list[str],
    org_unit: OrgUnit | None,
    is_active: bool = True,
    by: User,
) -> WebhookEndpoint:
    """A new endpoint with a fresh signing secret (shown to its creator once)."""
    endpoint = WebhookEndpoint.objects.create(
        url=url,
        description=description,
        events=events,
        org_unit=org_unit,
        is_active=is_active,
        secret=new_secret(),
        created_by=by,
    )
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=endpoint,
        changes={"url": [None, endpoint.url], "events": [None, endpoint.events]},
    )
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint: WebhookEndpoint, *, by: User) -> None:
    audit.record(
        actor=by,
        action=AuditEntry.Action.DELETE,
        obj=endpoint,
        changes={"url": [endpoint.url, None]},
    )
    endpoint.delete()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _endpoints_for(org_unit: OrgUnit | None, restricted: bool) -> Any:
    endpoints = WebhookEndpoint.objects.filter(is_active=True)
    if not restricted:
        return endpoints
    if org_unit is None:
        return endpoints.none()
    # Restricted data reaches only endpoints of its unit or of a unit above it, below the top.
    ancestors = [u for u in org_unit.ancestors() if u.depth > 0] + [org_unit]
    return endpoints.filter(Q(org_unit__in=ancestors))


def emit(
    event: str,
    payload: dict[str, Any],
    *,
    org_unit: OrgUnit | None = None,
    restricted: bool = False,
) -> int:
    """Queue `event` for every endpoint that wants it; sent once the transaction commits."""
    return emit_many([(event, payload, org_unit, restricted)])


def emit_many(events: list[tuple[str, dict[str, Any], OrgUnit | None, bool]]) -> int:
    """`emit` for many (event, payload, org unit, restricted) at once: the endpoints are
    looked up once per unit and the deliveries written in one statement."""
    found: dict[tuple[int | None, bool], list[WebhookEndpoint]] = {}
    deliveries = []
    for event, payload, org_unit, restricted in events:
        scope = (org_unit.pk if org_unit is not None and restricted else None, restricted)
        if scope not in found:
            found[scope] = list(_endpoints_for(org_unit, restricted))
        deliveries += [
            WebhookDelivery(endpoint=endpoint, event=event, payload=payload)
            for endpoint in found[scope]
            if endpoint.wants(event)
        ]
    for delivery in WebhookDelivery.objects.bulk_create(deliveries):
        enqueue_on_commit(deliver_webhook, delivery.pk)
    return len(deliveries)


@job(max_attempts=8, backoff_base=30.0)
def deliver_webhook(delivery_id: int) -> int:
    """POST one delivery. A non-2xx answer or a network error raises, so the job retries."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return 200
    endpoint = delivery.endpoint
    body = json.dumps(
        {
            "id": delivery.pk,
            "event": delivery.event,
            "created_at": delivery.created_at,
            "data": delivery.payload,
        },
        cls=DjangoJSONEncoder,
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (administrators configure http(s) URLs)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Luukku-Webhooks/1",
            "X-Luukku-Event": delivery.event,
            "X-Luukku-Delivery": str(delivery.pk),
            "X-Luukku-Signature": sign(endpoint.secret, int(time.time()), body),
        },
    )
    delivery.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            code = response.status
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        code, error = 0, f"{type(exc).__name__}: {exc}"
    else:
        error = ""
    with transaction.atomic():
        delivery.last_status_code = code or None
        delivery.last_error = error
        if 200 <= code < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
        else:
            delivery.status = WebhookDelivery.Status.FAILED
        delivery.save()
    if delivery.status != WebhookDelivery.Status.DELIVERED:
        raise DeliveryFailed(f"{endpoint.url}: {error}")
    return code
