"""Demo segments, evaluated at once, once."""

from __future__ import annotations

from luukku.core.models import OrgUnit
from luukku.segments.membership import evaluate_fully
from luukku.segments.models import Segment
from luukku.segments.services import save_segment

SEGMENTS = [
    (
        "fitness-readers",
        "Fitness newsletter readers",
        "fitness",
        {"kind": "consent", "purpose": "fitness-news", "channel": "email", "state": "contactable"},
    ),
    (
        "young-adults",
        "Young adults (19–30)",
        "nordby",
        {"kind": "attribute", "field": "age", "op": "between", "value": [19, 30]},
    ),
    (
        "recent-cases",
        "Had a case in the last 30 days",
        "nordby",
        {"kind": "case", "state": "any", "within_days": 30},
    ),
]


def load_segment_demo(units: dict[str, OrgUnit]) -> int:
    """Returns how many segments were made."""
    made = 0
    for slug, name, unit, rule in SEGMENTS:
        if Segment.objects.filter(slug=slug).exists():
            continue
        segment = save_segment(
            Segment(name=name, slug=slug, org_unit=units[unit], rule=rule), by=None
        )
        evaluate_fully(segment)
        made += 1
    return made
