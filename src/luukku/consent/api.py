"""The consent API: a person's standing per purpose and channel, their ledger, and
grants or withdrawals recorded by source systems."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from luukku.consent import services
from luukku.consent.gate import Facts, may_contact
from luukku.consent.models import Action, ConsentRecord, Purpose, PurposeText, Source
from luukku.consent.services import Evidence
from luukku.core.access import Perm
from luukku.core.actions.audit import audit_channel
from luukku.core.api import actor_of
from luukku.core.restapi.pagination import page_of
from luukku.core.restapi.schema import StrictSchema
from luukku.customers import access
from luukku.customers.actions.parties import record_profile_view
from luukku.customers.models.parties import Channel

router = Router(tags=["consent"])

# What a source system may say a consent came from.
API_SOURCES = Literal["api", "import", "form", "landing_page", "agent"]


class StandingOut(Schema):
    purpose: str = Field(description="The purpose's short name.")
    channel: str
    allowed: bool = Field(description="Whether a marketing message may go out now.")
    reason: str = Field(description="granted, never_granted, pending, withdrawn, ...")
    explanation: str


class ConsentsOut(Schema):
    person_id: int
    standing: list[StandingOut]


class RecordOut(Schema):
    id: int
    purpose: str | None = Field(description="None: all marketing.")
    channel: str = Field(description='"" for every channel.')
    action: str
    source: str
    occurred_at: datetime.datetime
    recorded_at: datetime.datetime
    text_language: str | None
    text_version: int | None
    ip: str | None
    user_agent: str
    recorded_by: str | None
    confirms: int | None
    evidence: dict[str, Any]


class PersonParam(Schema):
    person_id: int


class ConsentIn(StrictSchema):
    person_id: int
    purpose: str = Field(description="The purpose's short name.")
    action: Literal["granted", "withdrawn"]
    channels: list[Channel] | None = Field(
        None, description="Of the purpose's channels; none: all of them."
    )
    source: API_SOURCES = "api"
    occurred_at: datetime.datetime | None = Field(
        None, description="When the person said it (default: now); not in the future."
    )
    text_language: str | None = Field(None, description="The text shown, with text_version.")
    text_version: int | None = None
    ip: str | None = None
    user_agent: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)


def record_out(record: ConsentRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "purpose": record.purpose.slug if record.purpose else None,
        "channel": record.channel,
        "action": record.action,
        "source": record.source,
        "occurred_at": record.occurred_at,
        "recorded_at": record.recorded_at,
        "text_language": record.text.language if record.text else None,
        "text_version": record.text.version if record.text else None,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "recorded_by": record.actor.get_username() if record.actor else None,
        "confirms": record.confirms_id,
        "evidence": record.evidence,
    }


@router.get("/consents", response=ConsentsOut)
def consents(request: HttpRequest, params: Query[PersonParam]) -> dict[str, Any]:
    """Where the person stands for each purpose in use and each of its channels."""
    actor = actor_of(request)
    person = access.person_for_actor(actor, params.person_id)
    record_profile_view(actor=actor, party=person, via="api")
    standing = []
    facts = Facts(person)
    for purpose in Purpose.objects.filter(is_active=True).order_by("slug"):
        for channel in purpose.channels:
            answer = may_contact(person, purpose, channel, facts=facts)
            standing.append(
                {
                    "purpose": purpose.slug,
                    "channel": channel,
                    "allowed": answer.allowed,
                    "reason": answer.reason,
                    "explanation": answer.explanation,
                }
            )
    return {"person_id": person.pk, "standing": standing}


class RecordsParams(PersonParam):
    limit: int = Field(50, ge=1, le=500, description="Records per page (1–500).")
    cursor: str | None = Field(None, description="The next_cursor of the previous page.")


class RecordsPage(Schema):
    items: list[RecordOut]
    next_cursor: str | None = None


@router.get("/consents/records", response=RecordsPage)
def records(request: HttpRequest, params: Query[RecordsParams]) -> dict[str, Any]:
    """The person's ledger, oldest first (the cursor pages on)."""
    actor = actor_of(request)
    person = access.person_for_actor(actor, params.person_id)
    rows = ConsentRecord.objects.filter(person=person).select_related("purpose", "text", "actor")
    page, next_cursor = page_of(rows, cursor=params.cursor, limit=params.limit)
    return {"items": [record_out(r) for r in page], "next_cursor": next_cursor}


@router.post("/consents", response={201: list[RecordOut]})
def record(request: HttpRequest, payload: ConsentIn) -> tuple[int, list[dict[str, Any]]]:
    """Record a grant or withdrawal a source system holds, with its evidence; one record
    per channel. An old one (`occurred_at`) enters the ledger without overriding a newer
    decision."""
    actor = actor_of(request)
    person = access.person_for_actor(actor, payload.person_id, Perm.CUSTOMER_EDIT)
    purpose = Purpose.objects.filter(slug=payload.purpose).first()
    if purpose is None:
        raise HttpError(422, f"No such purpose: {payload.purpose}")
    text = None
    if payload.text_language or payload.text_version is not None:
        text = PurposeText.objects.filter(
            purpose=purpose, language=payload.text_language or "", version=payload.text_version or 0
        ).first()
        if text is None:
            raise HttpError(
                422, f"No text {payload.text_language} v{payload.text_version} of {purpose.slug}"
            )
    evidence = Evidence(
        source=Source(payload.source),
        occurred_at=payload.occurred_at,
        ip=payload.ip,
        user_agent=payload.user_agent,
        actor=actor,
        details=payload.evidence,
    )
    try:
        with audit_channel("api"):
            rows = services.record(
                person,
                purpose,
                Action(payload.action),
                evidence,
                channels=[str(c) for c in payload.channels] if payload.channels else None,
                text=text,
            )
    except ValidationError as error:
        raise HttpError(422, "; ".join(error.messages)) from None
    return 201, [record_out(r) for r in rows]
