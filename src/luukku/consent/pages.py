"""Keeping landing pages: their settings, their blocks (checked before they are saved)
and publishing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from luukku.consent.landing import check_blocks
from luukku.consent.models import LandingPage
from luukku.core.actions import audit
from luukku.core.models import AuditEntry, User

PAGE_FIELDS = ("title", "slug", "org_unit_id", "language", "thank_you", "is_published")

STARTER_BLOCKS: list[dict[str, Any]] = [
    {"type": "field", "field": "first_name", "label": "", "required": True},
    {"type": "field", "field": "email", "label": "", "required": True},
]


@transaction.atomic
def save_page(page: LandingPage, *, by: User | None) -> LandingPage:
    created = page.pk is None
    if created and not page.blocks:
        page.blocks = [dict(b) for b in STARTER_BLOCKS]
    before = {} if created else audit.snapshot(LandingPage.objects.get(pk=page.pk), PAGE_FIELDS)
    page.full_clean()
    page.save()
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=page,
        org_unit=page.org_unit,
        changes=audit.diff(before, audit.snapshot(page, PAGE_FIELDS)),
    )
    return page


@transaction.atomic
def set_blocks(page: LandingPage, blocks: list[dict[str, Any]], *, by: User | None) -> None:
    """The page's blocks, all of them, once they make a page that works."""
    check_blocks(blocks)
    before = page.blocks
    page.blocks = blocks
    page.save(update_fields=["blocks", "updated_at"])
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=page,
        org_unit=page.org_unit,
        changes={"blocks": [len(before), len(blocks)]},
    )


@transaction.atomic
def publish(page: LandingPage, *, on: bool, by: User | None) -> None:
    if on:
        check_blocks(page.blocks)
    page.is_published = on
    page.published_at = timezone.now() if on else page.published_at
    page.save(update_fields=["is_published", "published_at", "updated_at"])
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=page,
        org_unit=page.org_unit,
        changes={"is_published": [not on, on]},
    )
