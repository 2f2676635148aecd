"""Which source may set which field, and which value survives."""

from __future__ import annotations

from django.utils import timezone

from luukku.customers.models import SourceSystem
from luukku.customers.models.identities import MANUAL_PRIORITY
from luukku.customers.models.parties import Party

MANUAL = "luukku"


def source_code(source: SourceSystem | None) -> str:
    return source.code if source else MANUAL


def _priority(code: str, priorities: dict[str, int]) -> int:
    if code == MANUAL:
        return MANUAL_PRIORITY
    return priorities.get(code, 0)


def field_priorities() -> dict[str, int]:
    return dict(SourceSystem.objects.values_list("code", "priority"))


def may_overwrite(
    party: Party, field: str, source: SourceSystem | None, priorities: dict[str, int]
) -> bool:
    """A source may set a field it is allowed to, unless a higher-priority source set it."""
    if source is not None and not source.may_set(field):
        return False
    previous = party.field_sources.get(field)
    if previous is None:
        return True
    mine = source.priority if source else MANUAL_PRIORITY
    return mine >= _priority(previous["source"], priorities)


def mark(party: Party, field: str, source: SourceSystem | None) -> None:
    party.field_sources[field] = {"source": source_code(source), "at": timezone.now().isoformat()}
