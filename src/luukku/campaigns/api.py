"""The campaigns API: define campaigns and their content, see the pre-flight report,
send or schedule, follow the progress, re-queue what failed, and read the report."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from luukku.campaigns import services
from luukku.campaigns.access import campaign_for_actor, campaigns_visible_to
from luukku.campaigns.models import Campaign, Content, Run
from luukku.campaigns.report import report
from luukku.consent.models import Purpose
from luukku.core.access import Perm, require, units_where
from luukku.core.actions.audit import audit_channel
from luukku.core.api import actor_of
from luukku.core.restapi.schema import StrictSchema
from luukku.segments.models import Segment

router = Router(tags=["campaigns"])


class CampaignOut(Schema):
    id: int
    name: str
    org_unit: str
    purpose: str | None = Field(description="The purpose's short name.")
    segments: list[str]
    excluded_segments: list[str]
    channels: str
    default_language: str
    status: str
    scheduled_at: datetime.datetime | None
    per_minute: int | None
    goal_event: str
    goal_days: int
    ab_percent: int | None
    counts: dict[str, int] = Field(description="The latest run's recipients by state.")


class CampaignIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200)
    org_unit: str = Field(description="The owning org unit's short name.")
    purpose: str | None = Field(None, description="The purpose's short name.")
    segments: list[str] = Field(default_factory=list)
    excluded_segments: list[str] = Field(default_factory=list)
    channels: Campaign.Channels = Campaign.Channels.EMAIL
    default_language: str = "nb"
    per_minute: int | None = Field(None, ge=1)
    per_domain_per_minute: int | None = Field(None, ge=1)
    goal_event: str = ""
    goal_days: int = Field(7, ge=1, le=365)
    ab_percent: int | None = Field(None, ge=2, le=50)


class ContentIn(StrictSchema):
    channel: str = Field(pattern="^(email|sms)$")
    language: str
    variant: str = Field("", pattern="^b?$")
    subject: str = ""
    body_format: Content.Format = Content.Format.MJML
    body: str


class ContentOut(Schema):
    channel: str
    language: str
    variant: str
    subject: str
    body_format: str
    body: str


class PreflightOut(Schema):
    audience: int
    excluded_by_segment: int
    no_address: int
    no_consent: int
    frequency_cap: int
    quiet_hours: int
    will_get: int
    by_channel: dict[str, int]
    problems: list[str]


class SendIn(StrictSchema):
    at: datetime.datetime | None = Field(None, description="Empty: now.")


class ReportOut(Schema):
    states: dict[str, int]
    totals: dict[str, int]
    rates: dict[str, float]
    by_part: list[dict[str, Any]]
    links: list[dict[str, Any]]
    countries: list[tuple[str, int]]
    clients: list[tuple[str, int]]


def out(campaign: Campaign) -> dict[str, Any]:
    run = campaign.runs.order_by("-started_at").first()
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "org_unit": campaign.org_unit.slug,
        "purpose": campaign.purpose.slug if campaign.purpose else None,
        "segments": sorted(campaign.segments.values_list("slug", flat=True)),
        "excluded_segments": sorted(campaign.excluded_segments.values_list("slug", flat=True)),
        "channels": campaign.channels,
        "default_language": campaign.default_language,
        "status": campaign.status,
        "scheduled_at": campaign.scheduled_at,
        "per_minute": campaign.per_minute,
        "goal_event": campaign.goal_event,
        "goal_days": campaign.goal_days,
        "ab_percent": campaign.ab_percent,
        "counts": services.counts(run) if run is not None else {},
    }


def _segments(slugs: list[str]) -> list[Segment]:
    found = list(Segment.objects.filter(slug__in=slugs, is_active=True))
    missing = sorted(set(slugs) - {s.slug for s in found})
    if missing:
        raise HttpError(422, f"No segments {', '.join(missing)}.")
    return found


@router.get("/campaigns", response=list[CampaignOut])
def list_campaigns(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    rows = campaigns_visible_to(actor).filter(kind=Campaign.Kind.CAMPAIGN)
    return [out(c) for c in rows.select_related("org_unit", "purpose")]


@router.post("/campaigns", response={201: CampaignOut})
def create_campaign(request: HttpRequest, payload: CampaignIn) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    unit = units_where(actor, Perm.CAMPAIGN_MANAGE).filter(slug=payload.org_unit).first()
    if unit is None:
        raise HttpError(422, f"No org unit {payload.org_unit} where you may send campaigns.")
    purpose = None
    if payload.purpose:
        purpose = Purpose.objects.filter(slug=payload.purpose, is_active=True).first()
        if purpose is None:
            raise HttpError(422, f"No purpose {payload.purpose}.")
    values = payload.dict(exclude={"org_unit", "purpose", "segments", "excluded_segments"})
    with transaction.atomic(), audit_channel("api"):
        campaign = Campaign.objects.create(
            org_unit=unit, purpose=purpose, created_by=actor, **values
        )
        campaign.segments.set(_segments(payload.segments))
        campaign.excluded_segments.set(_segments(payload.excluded_segments))
    return 201, out(campaign)


@router.get("/campaigns/{campaign_id}", response=CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    return out(campaign_for_actor(actor, campaign_id))


@router.put("/campaigns/{campaign_id}/contents", response=ContentOut)
def put_content(request: HttpRequest, campaign_id: int, payload: ContentIn) -> dict[str, Any]:
    """Write a channel's content in a language (and variant); refused with the line and
    reason when it does not render."""
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, campaign_id)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        raise HttpError(409, "The campaign is being sent or was sent: its content stays.")
    content = campaign.contents.filter(
        channel=payload.channel, language=payload.language, variant=payload.variant
    ).first() or Content(
        campaign=campaign,
        channel=payload.channel,
        language=payload.language,
        variant=payload.variant,
    )
    content.subject, content.body_format = payload.subject, payload.body_format
    content.body = payload.body
    try:
        services.save_content(content)
    except ValidationError as error:
        raise HttpError(422, "; ".join(error.messages)) from None
    return {
        "channel": content.channel,
        "language": content.language,
        "variant": content.variant,
        "subject": content.subject,
        "body_format": content.body_format,
        "body": content.body,
    }


@router.get("/campaigns/{campaign_id}/preflight", response=PreflightOut)
def preflight(request: HttpRequest, campaign_id: int) -> Any:
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    return services.preflight(campaign_for_actor(actor, campaign_id))


@router.post("/campaigns/{campaign_id}/send", response={202: CampaignOut})
def send(request: HttpRequest, campaign_id: int, payload: SendIn) -> tuple[int, dict[str, Any]]:
    """Send now, or schedule for `at`; 422 with the reasons when it cannot be sent."""
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, campaign_id)
    try:
        with audit_channel("api"):
            services.schedule(campaign, payload.at, by=actor)
    except ValidationError as error:
        raise HttpError(422, "; ".join(error.messages)) from None
    campaign.refresh_from_db()
    return 202, out(campaign)


@router.post("/campaigns/{campaign_id}/cancel", response=CampaignOut)
def cancel(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    with audit_channel("api"):
        campaign = services.cancel(campaign_for_actor(actor, campaign_id), by=actor)
    return out(campaign)


@router.post("/campaigns/{campaign_id}/requeue", response=CampaignOut)
def requeue(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """The latest run's failed recipients queued again."""
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, campaign_id)
    run = Run.objects.filter(campaign=campaign).order_by("-started_at").first()
    if run is None:
        raise HttpError(409, "The campaign was not sent yet.")
    with audit_channel("api"):
        services.requeue_failed(run, by=actor)
    campaign.refresh_from_db()
    return out(campaign)


@router.get("/campaigns/{campaign_id}/report", response=ReportOut)
def campaign_report(request: HttpRequest, campaign_id: int) -> Any:
    actor = actor_of(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    found = report(campaign_for_actor(actor, campaign_id))
    found.days = []  # not part of this answer
    return found
