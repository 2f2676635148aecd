"""Segments at scale: 1,000,000 persons, 20,000,000 timeline events (plus 2,000,000
campaign clicks), consents and cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_seg_bench \\
        .venv/bin/python -m bench.segments_scale

Phases (each prints its figures):
  generate  the customer base (bench.customers_scale), then addresses in ten cities, a
            purpose with consents for 40 %, 2,000,000 campaign clicks over a year, 50,000
            cases over two months, and 100 dynamic segments; skipped when present
  evaluate  the four-condition segment of the issue, through Luukku's compiler and as
            the best hand-written SQL for the same question (median of 5 runs each)
  count     the builder's live count for rules a marketer builds step by step
  latency   an event POSTed to /api/v1/events until its person's `segment.entered` is
            on the timeline, with a worker running and 100 dynamic segments defined
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
os.environ.setdefault("LUUKKU_DEBUG", "1")

CITIES = [
    "Oslo",
    "Bergen",
    "Trondheim",
    "Helsinki",
    "Tampere",
    "Turku",
    "Stockholm",
    "Göteborg",
    "Malmö",
    "Uppsala",
]

FOUR = {
    "all": [
        {"kind": "attribute", "field": "age", "op": "between", "value": [19, 30]},
        {"kind": "attribute", "field": "city", "op": "eq", "value": "Oslo"},
        {"kind": "consent", "purpose": "bench-news", "channel": "email", "state": "contactable"},
        {"kind": "event", "type": "campaign.clicked", "within_days": 90},
        {"not": {"kind": "case", "within_days": 7}},
    ]
}

# The same question as one would write it by hand for PostgreSQL: semi-joins on the
# narrowest indexes, the negations as anti-joins.
HAND_WRITTEN = """
SELECT count(*) FROM customers_person p
WHERE p.date_of_birth > %(oldest)s AND p.date_of_birth <= %(youngest)s
  AND EXISTS (SELECT 1 FROM customers_postaladdress a
              WHERE a.person_id = p.id AND upper(a.city) = 'OSLO')
  AND EXISTS (SELECT 1 FROM consent_consentstate s
              WHERE s.person_id = p.id AND s.purpose_id = %(purpose)s
                AND s.channel = 'email' AND s.action = 'granted')
  AND NOT EXISTS (SELECT 1 FROM consent_consentstate b
                  WHERE b.person_id = p.id AND b.purpose_id IS NULL
                    AND b.channel IN ('email', '') AND b.action = 'withdrawn')
  AND EXISTS (SELECT 1 FROM customers_emailaddress e
              WHERE e.person_id = p.id AND e.bounced_at IS NULL)
  AND EXISTS (SELECT 1 FROM customers_event v
              WHERE v.person_id = p.id AND v.type = 'campaign.clicked'
                AND v.occurred_at >= %(since)s AND v.sensitivity = 'normal')
  AND NOT EXISTS (SELECT 1 FROM desk_case c
                  WHERE c.person_id = p.id AND c.created_at >= %(week)s
                    AND c.sensitivity = 'normal')
  AND p.sensitivity = 'normal'
"""


def _setup() -> None:
    import django

    django.setup()


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _root():  # type: ignore[no-untyped-def]
    from luukku.core.models import Organization, OrgUnit

    org, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    unit = OrgUnit.objects.filter(slug="root").first()
    if unit is None:
        unit = OrgUnit.objects.create(organization=org, name="Root", slug="root")
    return unit


def generate(persons: int, events: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from bench import customers_scale
    from luukku.consent.models import LawfulBasis, Purpose
    from luukku.consent.purposes import save_purpose
    from luukku.customers import partitions
    from luukku.desk.models import Queue

    customers_scale.generate(persons, events)
    root = _root()
    purpose = Purpose.objects.filter(slug="bench-news").first() or save_purpose(
        Purpose(
            name="Bench news",
            slug="bench-news",
            org_unit=root,
            lawful_basis=LawfulBasis.CONSENT,
            channels=["email", "sms"],
        ),
        by=None,
    )
    queue, _ = Queue.objects.get_or_create(
        slug="bench-housing", defaults={"name": "Bench housing", "org_unit": root}
    )
    with connection.cursor() as cur:
        start = time.perf_counter()
        cur.execute("SELECT count(*) FROM customers_postaladdress")
        if cur.fetchone()[0] == 0:  # one pass, no per-row check against a growing table
            cur.execute(
                """
                INSERT INTO customers_postaladdress (person_id, kind, is_primary, is_verified,
                    source, created_at, street, postal_code, city, country)
                SELECT id, 'home', true, false, 'bench', now(), 'Gate ' || (id %% 200),
                       lpad((id %% 9000)::text, 4, '0'), (%s::text[])[1 + id %% 10], 'NO'
                FROM customers_person
                """,
                [CITIES],
            )
        print(f"addresses: {cur.rowcount:,} in {time.perf_counter() - start:.1f} s", flush=True)
        cur.execute(
            "SELECT count(*) FROM consent_consentrecord WHERE purpose_id = %s", [purpose.pk]
        )
        if cur.fetchone()[0] == 0:
            start = time.perf_counter()
            cur.execute(
                """
                INSERT INTO consent_consentrecord (person_id, purpose_id, channel, action, source,
                    occurred_at, recorded_at, user_agent, evidence)
                SELECT id, %s, 'email', CASE WHEN id %% 50 = 2 THEN 'withdrawn' ELSE 'granted' END,
                       'import', now() - (id %% 700) * interval '1 day', now(), '', '{}'::jsonb
                FROM customers_person WHERE id %% 5 IN (0, 1) OR id %% 50 = 2
                """,
                [purpose.pk],
            )
            cur.execute(
                """
                INSERT INTO consent_consentstate (person_id, purpose_id, channel, action, since,
                    record_id)
                SELECT person_id, purpose_id, channel, action, occurred_at, id
                FROM consent_consentrecord WHERE purpose_id = %s
                """,
                [purpose.pk],
            )
            cur.execute(
                """
                INSERT INTO consent_consentrecord (person_id, purpose_id, channel, action, source,
                    occurred_at, recorded_at, user_agent, evidence)
                SELECT id, NULL, '', 'withdrawn', 'one_click', now(), now(), '', '{}'::jsonb
                FROM customers_person WHERE id %% 97 = 0
                """,
                [],
            )
            cur.execute(
                """
                INSERT INTO consent_consentstate (person_id, purpose_id, channel, action, since,
                    record_id)
                SELECT person_id, NULL, '', 'withdrawn', occurred_at, id
                FROM consent_consentrecord WHERE purpose_id IS NULL
                """
            )
            print(f"consents in {time.perf_counter() - start:.1f} s", flush=True)
        cur.execute("SELECT count(*) FROM customers_event WHERE type = 'campaign.clicked'")
        if cur.fetchone()[0] == 0:
            start = time.perf_counter()
            now = timezone.now()
            partitions.ensure_partitions(now - timezone.timedelta(days=400), now)
            cur.execute("SELECT min(id), max(id) FROM customers_person")
            low, high = cur.fetchone()
            cur.execute(
                """
                INSERT INTO customers_event (type, occurred_at, recorded_at, source, sensitivity,
                    payload, idempotency_key, org_unit_id, person_id)
                SELECT 'campaign.clicked',
                       now() - (((g * 2654435761) %% 31536000000) / 1000.0) * interval '1 second',
                       now(), 'bench', 'normal',
                       jsonb_build_object('campaign', 'c' || (g %% 20), 'link', 'l' || (g %% 7)),
                       NULL, NULL, %s + ((g * 48271) %% (%s - %s + 1))
                FROM generate_series(1::bigint, 2000000::bigint) g
                """,
                [low, high, low],
            )
            print(f"clicks: 2,000,000 in {time.perf_counter() - start:.1f} s", flush=True)
        cur.execute("SELECT count(*) FROM desk_case WHERE queue_id = %s", [queue.pk])
        if cur.fetchone()[0] == 0:
            start = time.perf_counter()
            cur.execute(
                """
                INSERT INTO desk_case (number, subject, status, priority, queue_id, org_unit_id,
                    sensitivity, custom, channel, person_id, version, resolution_note,
                    suggest_faq, created_at, updated_at)
                SELECT nextval('desk_case_number'), 'Bench case ' || id, 'new', 'normal', %s, %s,
                       'normal', '{}'::jsonb, 'email', id, 1, '', false,
                       now() - (id %% 60) * interval '1 day', now()
                FROM customers_person WHERE id %% 20 = 3
                """,
                [queue.pk, root.pk],
            )
            print(f"cases: {cur.rowcount:,} in {time.perf_counter() - start:.1f} s", flush=True)
        cur.execute("ANALYZE")
    _segments(root)


def _segments(root) -> None:  # type: ignore[no-untyped-def]
    """100 dynamic segments of the kinds marketers build; members evaluated once."""
    from luukku.segments.membership import evaluate_fully
    from luukku.segments.models import Segment
    from luukku.segments.services import save_segment

    have = Segment.objects.filter(slug__startswith="bench-").count()
    start = time.perf_counter()
    for n in range(have, 100):
        kind = n % 5
        rule = [
            {"kind": "attribute", "field": "city", "op": "eq", "value": CITIES[n % 10]},
            {
                "all": [
                    {
                        "kind": "attribute",
                        "field": "age",
                        "op": "between",
                        "value": [18 + n % 10, 30 + n % 10],
                    },
                    {
                        "kind": "consent",
                        "purpose": "bench-news",
                        "channel": "email",
                        "state": "granted",
                    },
                ]
            },
            {
                "kind": "event",
                "type": "campaign.clicked",
                "within_days": 30 + n,
                "where": [{"path": "campaign", "op": "eq", "value": f"c{n % 20}"}],
            },
            {
                "all": [
                    {"kind": "case", "state": "open", "within_days": 14},
                    {
                        "kind": "attribute",
                        "field": "city",
                        "op": "eq",
                        "value": CITIES[(n + 3) % 10],
                    },
                ]
            },
            {"kind": "event", "type": "bench.signal", "within_days": 1},
        ][kind]
        segment = save_segment(
            Segment(name=f"Bench {n}", slug=f"bench-{n}", org_unit=root, rule=rule), by=None
        )
        evaluate_fully(segment)
    print(f"segments: {100 - have} made and evaluated in {time.perf_counter() - start:.1f} s")


def _timed(run, times: int = 5) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    samples, result = [], None
    for _ in range(times):
        start = time.perf_counter()
        result = run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def evaluate() -> None:
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from luukku.consent.models import Purpose
    from luukku.customers.models import Person
    from luukku.segments.compiler import compile_rule, scope_of
    from luukku.segments.membership import roomy

    root = _root()

    def ours() -> int:
        with transaction.atomic():
            roomy()
            return Person.objects.filter(compile_rule(FOUR, scope_of(root))).count()

    today = timezone.localdate()
    params = {
        "oldest": today.replace(year=today.year - 31),
        "youngest": today.replace(year=today.year - 19),
        "purpose": Purpose.objects.get(slug="bench-news").pk,
        "since": timezone.now() - datetime.timedelta(days=90),
        "week": timezone.now() - datetime.timedelta(days=7),
    }

    def theirs() -> int:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL work_mem = '128MB'")
            cur.execute("SET LOCAL jit = off")
            cur.execute(HAND_WRITTEN, params)
            return int(cur.fetchone()[0])

    ours()  # warm the cache once
    mine, count = _timed(ours)
    hand, hand_count = _timed(theirs)
    print(f"four conditions, Luukku:       {mine:7.1f} ms  ({count:,} persons)")
    print(f"four conditions, hand-written: {hand:7.1f} ms  ({hand_count:,} persons)")
    print(f"ratio: {mine / hand:.2f}")


def count_phase() -> None:
    from luukku.segments.membership import count

    root = _root()
    steps = [
        {"kind": "attribute", "field": "age", "op": "between", "value": [19, 30]},
        {
            "all": [
                {"kind": "attribute", "field": "age", "op": "between", "value": [19, 30]},
                {"kind": "attribute", "field": "city", "op": "eq", "value": "Oslo"},
            ]
        },
        {"all": FOUR["all"][:3]},
        {"all": FOUR["all"][:4]},
        FOUR,
        {
            "any": [
                {"kind": "event", "type": "fitness.visit", "count": {"op": "gte", "value": 5}},
                {"kind": "relationship", "type": "none"},
            ]
        },
        {"kind": "event", "type": "campaign.clicked", "count": {"op": "lte", "value": 1}},
    ]
    samples = []
    for rule in steps:
        elapsed, found = _timed(lambda rule=rule: count(rule, root), times=3)
        samples.append(elapsed)
        print(f"live count {elapsed:7.1f} ms  {found:>9,}  {str(rule)[:70]}")
    print(f"live count: p50={percentile(samples, 50):.1f} ms  max={max(samples):.1f} ms")


def latency(samples: int) -> None:
    import datetime
    import json

    from django.db import close_old_connections
    from django.test import Client
    from django.utils import timezone

    from luukku.core.actions.tokens import create_api_token
    from luukku.core.models import Role, User
    from luukku.customers.models import Event, Person
    from luukku.segments.models import Segment
    from tests.factories import user_with

    root = _root()
    user = User.objects.filter(username="bench-admin").first() or user_with(
        Role.ADMINISTRATOR, root, username="bench-admin"
    )
    _token, plain = create_api_token(user=user, name="bench", by=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert Segment.objects.filter(is_active=True, kind="dynamic").count() >= 100
    worker = subprocess.Popen([sys.executable, "-m", "luukku", "worker"], env=os.environ.copy())
    time.sleep(4)  # its start-up
    persons = list(Person.objects.order_by("?").values_list("pk", flat=True)[:samples])
    waits = []
    try:
        for pk in persons:
            body = {
                "person": {"id": pk},
                "type": "bench.signal",
                "occurred_at": timezone.now().isoformat(),
                "payload": {"n": pk},
            }
            sent = time.perf_counter()
            answer = client.post(
                "/api/v1/events", data=json.dumps(body), content_type="application/json"
            )
            assert answer.status_code == 201, answer.content
            while not Event.objects.filter(
                person_id=pk,
                type="segment.entered",
                occurred_at__gte=timezone.now() - datetime.timedelta(seconds=30),
            ).exists():
                time.sleep(0.01)
                close_old_connections()
                if time.perf_counter() - sent > 30:
                    raise RuntimeError(f"person {pk} did not enter within 30 s")
            waits.append((time.perf_counter() - sent) * 1000)
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(
        f"event to segment.entered: n={len(waits)} p50={percentile(waits, 50):.0f} ms "
        f"p95={percentile(waits, 95):.0f} ms max={max(waits):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--phases", default="generate,evaluate,count,latency")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    _setup()
    phases = args.phases.split(",")
    if "generate" in phases:
        generate(args.persons, args.events)
    if "evaluate" in phases:
        evaluate()
    if "count" in phases:
        count_phase()
    if "latency" in phases:
        latency(args.samples)


if __name__ == "__main__":
    main()
