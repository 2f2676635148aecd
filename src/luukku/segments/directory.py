"""What the desk may ask about segments (`desk.segment_directory`), answered here."""

from __future__ import annotations

from collections.abc import Iterable

from luukku.segments.models import Membership, Segment


def segments_of(person_id: int) -> set[str]:
    return set(
        Membership.objects.filter(person_id=person_id, segment__is_active=True).values_list(
            "segment__slug", flat=True
        )
    )


def existing(names: Iterable[str]) -> set[str]:
    return set(Segment.objects.filter(slug__in=list(names)).values_list("slug", flat=True))


def listed() -> list[tuple[str, str]]:
    return list(Segment.objects.filter(is_active=True).order_by("name").values_list("slug", "name"))
