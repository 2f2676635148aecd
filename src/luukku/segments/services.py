"""Keeping segments: a rule checked against what exists and for cycles before it is
saved, what it depends on worked out, and its members evaluated in the background."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from luukku.consent.models import Purpose
from luukku.core.actions import audit
from luukku.core.jobs import enqueue_on_commit
from luukku.core.models import AuditEntry, User
from luukku.customers.models import CustomField, RelationshipType
from luukku.desk.models import Queue
from luukku.segments import rules
from luukku.segments.models import Segment

SEGMENT_FIELDS = ("name", "slug", "org_unit_id", "description", "kind", "rule", "is_active")


def checker() -> rules.RuleChecker:
    """A rule checker that knows what exists now."""
    return rules.RuleChecker(
        custom_fields=dict(
            CustomField.objects.filter(entity=CustomField.Entity.PERSON).values_list("key", "kind")
        ),
        purposes={p.slug: list(p.channels) for p in Purpose.objects.all()},
        queues=set(Queue.objects.values_list("slug", flat=True)),
        segments=set(Segment.objects.values_list("slug", flat=True)),
        relationship_types=set(RelationshipType.objects.values_list("code", flat=True)),
    )


def check_rule(rule: Any, *, segment: Segment | None = None) -> list[str]:
    """Every problem of the rule, each with its place; a cycle of nested segments too."""
    problems = checker().check(rule)
    if problems or segment is None:
        return problems
    cycle = _cycle(segment.slug, rule)
    if cycle:
        return [_("Segments would contain each other: %(cycle)s") % {"cycle": " → ".join(cycle)}]
    return []


def _cycle(slug: str, rule: dict[str, Any]) -> list[str]:
    """The path back to `slug` through nested segments, if the rule makes one."""
    rules_by_slug = dict(Segment.objects.exclude(slug=slug).values_list("slug", "rule"))
    rules_by_slug[slug] = rule

    def walk(current: str, path: list[str]) -> list[str]:
        for child in sorted(rules.segments_named(rules_by_slug.get(current) or {})):
            if child == slug:
                return [*path, child]
            if child in path:
                continue
            found = walk(child, [*path, child])
            if found:
                return found
        return []

    return walk(slug, [slug])


@transaction.atomic
def save_segment(segment: Segment, *, by: User | None) -> Segment:
    """Create or change a segment; a dynamic one is evaluated anew once this commits."""
    if segment.kind == Segment.Kind.DYNAMIC or segment.rule:
        problems = check_rule(segment.rule, segment=segment)
        if problems:
            raise ValidationError(problems)
    ids = dict(Segment.objects.values_list("slug", "pk"))
    segment.depends_on = rules.depends_on(segment.rule or {}, ids)
    created = segment.pk is None
    before = {} if created else audit.snapshot(Segment.objects.get(pk=segment.pk), SEGMENT_FIELDS)
    segment.full_clean()
    segment.save()
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=segment,
        org_unit=segment.org_unit,
        changes=audit.diff(before, audit.snapshot(segment, SEGMENT_FIELDS)),
    )
    if segment.kind == Segment.Kind.DYNAMIC and segment.is_active:
        from luukku.segments.tasks import evaluate_segment

        enqueue_on_commit(evaluate_segment, segment.pk)
    return segment


def in_dependency_order(segments: list[Segment]) -> list[Segment]:
    """Segments others are built on come before those others."""
    by_pk = {s.pk: s for s in segments}
    ordered: list[Segment] = []
    placed: set[int] = set()

    def place(segment: Segment, trail: set[int]) -> None:
        if segment.pk in placed or segment.pk in trail:
            return
        for depend in segment.depends_on:
            if depend.startswith("segment:"):
                inner = by_pk.get(int(depend.removeprefix("segment:")))
                if inner is not None:
                    place(inner, trail | {segment.pk})
        placed.add(segment.pk)
        ordered.append(segment)

    for segment in segments:
        place(segment, set())
    return ordered


def built_on(segment: Segment) -> list[Segment]:
    """The segments whose rules name this one."""
    marker = f"segment:{segment.pk}"
    return [s for s in Segment.objects.exclude(pk=segment.pk) if marker in s.depends_on]


@transaction.atomic
def delete_segment(segment: Segment, *, by: User | None) -> None:
    audit.record(
        actor=by,
        action=AuditEntry.Action.DELETE,
        obj=segment,
        org_unit=segment.org_unit,
        changes={"name": [segment.name, None]},
    )
    segment.delete()
