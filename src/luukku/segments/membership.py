"""Keeping segments' members true: a full evaluation that writes only the difference,
and a refresh of some persons after they changed, in the segments their change can
affect. Every entry and exit is a timeline event (`segment.entered`, `segment.exited`)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from luukku.customers.actions.timeline import NewEvent, append_events
from luukku.customers.models import Person
from luukku.segments.compiler import compile_rule, scope_of
from luukku.segments.models import Membership, Segment, SegmentCount

CHUNK = 5000


def members_query(segment: Segment, now: object = None) -> QuerySet[Person]:
    """The persons the segment's rule selects now."""
    scope = scope_of(segment.org_unit, now)  # type: ignore[arg-type]
    return Person.objects.filter(compile_rule(segment.rule, scope))


@dataclass
class Moves:
    entered: list[int] = field(default_factory=list)
    exited: list[int] = field(default_factory=list)


# A segment query hashes sets of persons (hundreds of thousands of ids); PostgreSQL's
# default work_mem (4 MB) would spill them to disk in batches. And over the monthly
# partitions of the timeline its plan has hundreds of nodes, which the JIT compiler
# spends seconds on for queries that run in a fraction of that. Both set for these
# transactions only.
WORK_MEM = "128MB"


def roomy() -> None:
    """Settings for a segment query, until the transaction ends."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")


def _lock(segment: Segment) -> None:
    """One writer of a segment's members at a time (PostgreSQL; SQLite has one writer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x5345474D, segment.pk])


def _apply(segment: Segment, moves: Moves) -> None:
    now = timezone.now()
    for start in range(0, len(moves.entered), CHUNK):
        Membership.objects.bulk_create(
            [
                Membership(segment=segment, person_id=pk, since=now)
                for pk in moves.entered[start : start + CHUNK]
            ],
            ignore_conflicts=True,
        )
    for start in range(0, len(moves.exited), CHUNK):
        Membership.objects.filter(
            segment=segment, person_id__in=moves.exited[start : start + CHUNK]
        ).delete()
    events = [
        NewEvent(
            person_id=pk,
            type=kind,
            occurred_at=now,
            source="luukku",
            org_unit_id=segment.org_unit_id,
            payload={"segment": segment.slug, "name": segment.name},
        )
        for kind, ids in (("segment.entered", moves.entered), ("segment.exited", moves.exited))
        for pk in ids
    ]
    for start in range(0, len(events), CHUNK):
        append_events(events[start : start + CHUNK])
    if moves.entered or moves.exited:
        change = len(moves.entered) - len(moves.exited)
        Segment.objects.filter(pk=segment.pk).update(
            member_count=segment.member_count + change, changed_at=now
        )
        segment.member_count += change


def _difference(segment: Segment, selected: QuerySet[Person]) -> Moves:
    """Who `selected` has that the segment has not, and the other way round (in SQL)."""
    current = Membership.objects.filter(segment=segment)
    return Moves(
        entered=list(
            selected.exclude(pk__in=current.values("person_id")).values_list("pk", flat=True)
        ),
        exited=list(
            current.exclude(person_id__in=selected.values("pk")).values_list("person_id", flat=True)
        ),
    )


@transaction.atomic
def evaluate_fully(segment: Segment) -> Moves:
    """Work the whole segment out again and write only who entered and who left."""
    _lock(segment)
    roomy()
    segment.refresh_from_db()
    started = time.monotonic()
    moves = _difference(segment, members_query(segment))
    elapsed = int((time.monotonic() - started) * 1000)
    _apply(segment, moves)
    count = Membership.objects.filter(segment=segment).count()
    now = timezone.now()
    Segment.objects.filter(pk=segment.pk).update(
        member_count=count, evaluated_at=now, evaluation_ms=elapsed
    )
    segment.member_count, segment.evaluated_at, segment.evaluation_ms = count, now, elapsed
    _count_over_time(segment, now)
    return moves


def _count_over_time(segment: Segment, now: datetime.datetime) -> None:
    """A point of the member count over time: at most one an hour, and when it moved."""
    last = SegmentCount.objects.filter(segment=segment).order_by("-at").first()
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    if last is None or last.members != segment.member_count or last.at < hour_ago:
        SegmentCount.objects.create(segment=segment, at=now, members=segment.member_count)


def kinds_of(event_types: Iterable[str]) -> set[str]:
    """What a set of timeline event types can change, in the terms of `depends_on`."""
    kinds: set[str] = set()
    for kind in event_types:
        if kind.startswith("segment."):
            continue  # a segment's own entries move nested segments through `segment:<id>`
        kinds.add(f"event:{kind}")
        if kind.startswith(("luukku.person_", "customers.")):
            kinds.add("person")
        elif kind.startswith("consent."):
            kinds.add("consent")
        elif kind.startswith("desk."):
            kinds.add("case")
        elif kind.startswith("luukku.relationship_"):
            kinds.add("relationship")
    return kinds


def refresh_persons(person_ids: list[int], kinds: set[str]) -> dict[str, Moves]:
    """Evaluate the persons again in each dynamic segment their change can affect (and in
    those built on a segment they moved in or out of). {segment slug: moves}."""
    if not person_ids or not kinds:
        return {}
    segments = list(Segment.objects.filter(is_active=True, kind=Segment.Kind.DYNAMIC))
    pending = [s for s in segments if kinds & set(s.depends_on)]
    done: dict[str, Moves] = {}
    seen: set[int] = set()
    while pending:
        segment = pending.pop(0)
        if segment.pk in seen:
            continue
        seen.add(segment.pk)
        moves = _refresh_one(segment, person_ids)
        if moves.entered or moves.exited:
            done[segment.slug] = moves
            marker = f"segment:{segment.pk}"
            pending += [s for s in segments if marker in s.depends_on and s.pk not in seen]
    return done


@transaction.atomic
def _refresh_one(segment: Segment, person_ids: list[int]) -> Moves:
    _lock(segment)
    roomy()
    segment.refresh_from_db(fields=["member_count"])
    now_in = set(members_query(segment).filter(pk__in=person_ids).values_list("pk", flat=True))
    was_in = set(
        Membership.objects.filter(segment=segment, person_id__in=person_ids).values_list(
            "person_id", flat=True
        )
    )
    moves = Moves(entered=sorted(now_in - was_in), exited=sorted(was_in - now_in))
    _apply(segment, moves)
    return moves


@transaction.atomic
def count(rule: dict[str, object], segment_unit: object) -> int:
    """How many the rule selects now (the builder's live count)."""
    roomy()
    scope = scope_of(segment_unit)  # type: ignore[arg-type]
    return Person.objects.filter(compile_rule(rule, scope)).count()


@transaction.atomic
def explain(segment: Segment, person: Person) -> list[tuple[str, bool]]:
    """Each condition of the rule and whether the person meets it now: why they are in
    or not."""
    from luukku.segments.rules import nodes

    scope = scope_of(segment.org_unit)
    visible = Person.objects.filter(scope.visible(), pk=person.pk)
    answers = []
    roomy()
    for path, node in nodes(segment.rule):
        met = visible.filter(compile_rule(node, scope)).exists()
        answers.append((path, met))
    return answers


def freeze(segment: Segment, rule: dict[str, object]) -> Moves:
    """A static segment takes the rule's members as they are now, once."""
    with transaction.atomic():
        _lock(segment)
        roomy()
        scope = scope_of(segment.org_unit)
        moves = _difference(segment, Person.objects.filter(compile_rule(rule, scope)))
        _apply(segment, moves)
        return moves


def add_static(segment: Segment, person_ids: list[int]) -> Moves:
    """Put persons into a static segment (an import, a journey step)."""
    with transaction.atomic():
        _lock(segment)
        segment.refresh_from_db(fields=["member_count"])
        there = set(
            Membership.objects.filter(segment=segment, person_id__in=person_ids).values_list(
                "person_id", flat=True
            )
        )
        moves = Moves(entered=sorted(set(person_ids) - there))
        _apply(segment, moves)
        return moves


def remove_static(segment: Segment, person_ids: list[int]) -> Moves:
    with transaction.atomic():
        _lock(segment)
        segment.refresh_from_db(fields=["member_count"])
        there = Membership.objects.filter(segment=segment, person_id__in=person_ids)
        moves = Moves(exited=sorted(there.values_list("person_id", flat=True)))
        _apply(segment, moves)
        return moves
