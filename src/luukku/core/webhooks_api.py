"""Managing webhooks over the API (organization administrators)."""

import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from luukku.core import access, webhooks
from luukku.core.actions import audit
from luukku.core.api import actor_of
from luukku.core.models import AuditEntry, OrgUnit, WebhookEndpoint
from luukku.core.restapi.pagination import CursorPagination
from luukku.core.restapi.schema import StrictSchema

router = Router(tags=["webhooks"])


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    org_unit_id: int | None
    is_active: bool
    created_at: datetime.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once: verify X-Luukku-Signature with it.")


class WebhookIn(StrictSchema):
    url: str = Field(max_length=500, pattern=r"^https?://")
    description: str = Field("", max_length=200)
    events: list[str] = []
    org_unit_id: int | None = None
    is_active: bool = True


class WebhookPatch(StrictSchema):
    url: str | None = Field(None, max_length=500, pattern=r"^https?://")
    description: str | None = Field(None, max_length=200)
    events: list[str] | None = None
    is_active: bool | None = None


class DeliveryOut(Schema):
    id: int
    event: str
    payload: dict[str, Any]
    created_at: datetime.datetime
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    delivered_at: datetime.datetime | None


def _check_events(events: list[str]) -> None:
    from django.core.exceptions import ValidationError

    unknown = [e for e in events if e not in webhooks.EVENTS]
    if unknown:
        raise ValidationError(
            {
                "events": [
                    f"Unknown events: {', '.join(unknown)}. Known: {', '.join(webhooks.EVENTS)}."
                ]
            }
        )


@router.get("/webhooks", response=list[WebhookOut])
@paginate(CursorPagination)
def list_webhooks(request: HttpRequest) -> Any:
    access.require_organization_admin(actor_of(request))
    return WebhookEndpoint.objects.all()


@router.post("/webhooks", response={201: WebhookCreated})
def create_webhook(request: HttpRequest, payload: WebhookIn) -> tuple[int, WebhookEndpoint]:
    actor = actor_of(request)
    access.require_organization_admin(actor)
    _check_events(payload.events)
    unit = get_object_or_404(OrgUnit, pk=payload.org_unit_id) if payload.org_unit_id else None
    if unit is not None and not webhooks.may_receive_restricted(actor, unit):
        raise access.AccessDenied("Only staff of the unit may receive its restricted records.")
    with audit.audit_channel("api"):
        endpoint = webhooks.create_endpoint(
            url=payload.url,
            description=payload.description,
            events=payload.events,
            org_unit=unit,
            is_active=payload.is_active,
            by=actor,
        )
    return 201, endpoint


@router.patch("/webhooks/{webhook_id}", response=WebhookOut)
def update_webhook(request: HttpRequest, webhook_id: int, payload: WebhookPatch) -> WebhookEndpoint:
    actor = actor_of(request)
    access.require_organization_admin(actor)
    endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id)
    if endpoint.org_unit is not None and not webhooks.may_receive_restricted(
        actor, endpoint.org_unit
    ):
        raise access.AccessDenied("Only staff of the unit may change this webhook.")
    changes = payload.dict(exclude_unset=True)
    if "events" in changes:
        _check_events(changes["events"])
    before = audit.snapshot(endpoint, list(changes))
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    with audit.audit_channel("api"):
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=endpoint,
            changes=audit.diff(before, audit.snapshot(endpoint, list(changes))),
        )
    return endpoint


@router.delete("/webhooks/{webhook_id}", response={204: None})
def delete_webhook(request: HttpRequest, webhook_id: int) -> tuple[int, None]:
    actor = actor_of(request)
    access.require_organization_admin(actor)
    endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id)
    if endpoint.org_unit is not None and not webhooks.may_receive_restricted(
        actor, endpoint.org_unit
    ):
        raise access.AccessDenied("Only staff of the unit may remove this webhook.")
    with audit.audit_channel("api"):
        webhooks.delete_endpoint(endpoint, by=actor)
    return 204, None


@router.get("/webhooks/{webhook_id}/deliveries", response=list[DeliveryOut])
@paginate(CursorPagination)
def list_deliveries(request: HttpRequest, webhook_id: int) -> Any:
    actor = actor_of(request)
    access.require_organization_admin(actor)
    return webhooks.visible_deliveries(actor).filter(endpoint_id=webhook_id)
