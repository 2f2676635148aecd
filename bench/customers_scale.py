"""The customer view at scale: 1,000,000 persons and 20,000,000 timeline events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_bench \\
        .venv/bin/python -m bench.customers_scale --persons 1000000 --events 20000000 \\
        --import-rows 1000000

Phases (each prints its figures):
  generate  persons, emails, phones, identities and events, made by PostgreSQL itself
            (generate_series), skipped when the bench database already holds them
  read      profile page and GET /api/v1/persons/{id} (server time, in-process), query counts
  list      the customer list page: first page, deeper pages, the name filter
  search    the search box: names, typos, phones in local format, emails, external ids
  ingest    POST /api/v1/events/batch with 10,000-line NDJSON batches
  import    a CSV of new persons through the dry run and the all-or-nothing import
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
os.environ.setdefault("LUUKKU_DEBUG", "1")

TYPES = [
    "housing.rent_paid",
    "fitness.visit",
    "sis.course_completed",
    "sis.semester_registered",
    "dining.meal_plan_bought",
    "finance.invoice_paid",
    "housing.contract_signed",
    "health.appointment",
]


def _setup() -> None:
    import django

    django.setup()


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(label: str, samples_ms: list[float]) -> None:
    print(
        f"{label:<34} n={len(samples_ms):<5} p50={percentile(samples_ms, 50):7.1f} ms  "
        f"p95={percentile(samples_ms, 95):7.1f} ms  max={max(samples_ms):7.1f} ms"
    )


def generate(persons: int, events: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from luukku.customers import partitions
    from luukku.customers.demo import FIRST, LAST
    from luukku.customers.models import Event, Person, SourceSystem

    firsts = [n for names in FIRST.values() for n in names]
    lasts = [n for names in LAST.values() for n in names]
    SourceSystem.objects.get_or_create(
        code="bench", defaults={"name": "Bench source", "priority": 100}
    )
    source_id = SourceSystem.objects.get(code="bench").pk
    have = Person.objects.count()
    with connection.cursor() as cur:
        if have < persons:
            start = time.perf_counter()
            cur.execute(
                """
                INSERT INTO customers_person (org_unit_id, sensitivity, custom, field_sources,
                    created_at, updated_at, first_name, last_name, full_name, date_of_birth,
                    gender, preferred_language, preferred_channel)
                SELECT NULL, 'normal', jsonb_build_object('student_status',
                       (ARRAY['active','on_leave','graduated'])[1 + g %% 3]), '{}'::jsonb, now(), now(),
                       f, l, f || ' ' || l, date '1965-01-01' + (g %% 15000)::int, '', 'nb', 'email'
                FROM generate_series(1::bigint, %s::bigint) g,
                     LATERAL (SELECT (%s::text[])[1 + (g * 7919) %% %s] AS f) fa,
                     LATERAL (SELECT (%s::text[])[1 + (g * 104729) %% %s] AS l) la
                """,
                [persons - have, firsts, len(firsts), lasts, len(lasts)],
            )
            cur.execute(
                """
                INSERT INTO customers_emailaddress (person_id, kind, is_primary, is_verified, source,
                    created_at, address, address_lower)
                SELECT id, 'other', true, false, 'bench', now(),
                       lower(translate(first_name || '.' || last_name, 'øæåäöÖÄÅØÆ', 'oaaaooaaoa'))
                       || id || '@example.test',
                       lower(translate(first_name || '.' || last_name, 'øæåäöÖÄÅØÆ', 'oaaaooaaoa'))
                       || id || '@example.test'
                FROM customers_person p
                WHERE NOT EXISTS (SELECT 1 FROM customers_emailaddress e WHERE e.person_id = p.id)
                """
            )
            cur.execute(
                """
                INSERT INTO customers_phonenumber (person_id, kind, is_primary, is_verified, source,
                    created_at, number)
                SELECT id, 'mobile', true, false, 'bench', now(), '+474' || lpad((id % 10000000)::text, 7, '0')
                FROM customers_person p
                WHERE NOT EXISTS (SELECT 1 FROM customers_phonenumber n WHERE n.person_id = p.id)
                """
            )
            cur.execute(
                """
                INSERT INTO customers_externalidentity (source_id, external_id, person_id, payload,
                    last_received_at)
                SELECT %s, 'B' || id, id, '{}'::jsonb, now() FROM customers_person p
                WHERE NOT EXISTS (SELECT 1 FROM customers_externalidentity i WHERE i.person_id = p.id)
                """,
                [source_id],
            )
            print(f"generate persons: {persons - have:,} in {time.perf_counter() - start:.1f} s")
        have_events = Event.objects.count() if have >= persons else 0
        if have_events < events:
            now = timezone.now()
            partitions.ensure_partitions(now - timezone.timedelta(days=740), now)
            cur.execute("SELECT min(id), max(id) FROM customers_person")
            low, high = cur.fetchone()
            start = time.perf_counter()
            step = 2_000_000
            for offset in range(have_events, events, step):
                n = min(step, events - offset)
                cur.execute(
                    """
                    INSERT INTO customers_event (type, occurred_at, recorded_at, source, sensitivity,
                        payload, idempotency_key, org_unit_id, person_id)
                    SELECT (%s::text[])[1 + (g %% 8)],
                           now() - (((g * 2654435761) %% 63072000000) / 1000.0) * interval '1 second',
                           now(), 'bench', CASE WHEN g %% 8 = 7 THEN 'restricted' ELSE 'normal' END,
                           jsonb_build_object('n', g), NULL, NULL,
                           %s + ((g * 40503) %% (%s - %s + 1))
                    FROM generate_series(%s::bigint, %s::bigint) g
                    """,
                    [TYPES, low, high, low, offset + 1, offset + n],
                )
                print(
                    f"  events {offset + n:,} / {events:,}  ({time.perf_counter() - start:.0f} s)",
                    flush=True,
                )
            print(
                f"generate events: {events - have_events:,} in {time.perf_counter() - start:.1f} s"
            )
        start = time.perf_counter()
        cur.execute("ANALYZE")
        print(f"analyze: {time.perf_counter() - start:.1f} s")


def _bench_range() -> tuple[int, int]:
    """Ids of the generated persons (the ones with a "bench" identity)."""
    from django.db.models import Max, Min

    from luukku.customers.models import ExternalIdentity

    span = ExternalIdentity.objects.filter(source__code="bench").aggregate(
        low=Min("person_id"), high=Max("person_id")
    )
    return span["low"], span["high"]


def _agent():  # type: ignore[no-untyped-def]
    from luukku.core.demo import load_demo
    from luukku.core.models import User

    load_demo()
    return User.objects.get(username="agent"), User.objects.get(username="admin")


def read(samples: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from luukku.core.actions.tokens import create_api_token

    agent, _admin = _agent()
    low, high = _bench_range()
    rng = random.Random(1)
    client = Client()
    client.force_login(agent)
    _token, plain = create_api_token(user=agent, name="bench", by=None)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    ids = [rng.randint(low, high) for _ in range(samples)]
    page_ms, api_ms = [], []
    for pid in ids[:5]:  # warm up
        client.get(f"/customers/persons/{pid}/")
    for pid in ids:
        start = time.perf_counter()
        response = client.get(f"/customers/persons/{pid}/")
        page_ms.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
        start = time.perf_counter()
        response = api.get(f"/api/v1/persons/{pid}")
        api_ms.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    report("profile page", page_ms)
    report("GET /api/v1/persons/{id}", api_ms)
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/customers/persons/{ids[0]}/")
    with CaptureQueriesContext(connection) as api_ctx:
        api.get(f"/api/v1/persons/{ids[0]}")
    print(
        f"queries: profile page {len(ctx.captured_queries)}, API person {len(api_ctx.captured_queries)}"
    )


def list_bench(samples: int) -> None:
    """The customer list page: first pages, deeper pages, and the name filter."""
    from django.test import Client

    from luukku.customers.demo import FIRST

    agent, _admin = _agent()
    client = Client()
    client.force_login(agent)
    rng = random.Random(4)
    names = [n for values in FIRST.values() for n in values]
    kinds: dict[str, list[float]] = {"first page": [], "page 2-20": [], "name filter": []}
    for i in range(samples):
        kind = list(kinds)[i % len(kinds)]
        url = {
            "first page": "/customers/",
            "page 2-20": f"/customers/?page={rng.randint(2, 20)}",
            "name filter": f"/customers/?q={rng.choice(names)}",
        }[kind]
        start = time.perf_counter()
        response = client.get(url)
        kinds[kind].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    for kind, values in kinds.items():
        report(f"customer list, {kind}", values)


def search_bench(samples: int) -> None:
    from luukku.customers.models import EmailAddress, Person, PhoneNumber
    from luukku.customers.search import search

    agent, _admin = _agent()
    rng = random.Random(2)
    low, high = _bench_range()
    kinds: dict[str, list[float]] = {
        "name": [],
        "typo": [],
        "phone": [],
        "email": [],
        "external id": [],
    }
    for i in range(samples):
        pid = rng.randint(low, high)
        person = Person.objects.get(pk=pid)
        kind = list(kinds)[i % len(kinds)]
        if kind == "name":
            text = person.full_name
        elif kind == "typo":
            text = person.full_name[:-2] + person.full_name[-1]
        elif kind == "phone":
            number = PhoneNumber.objects.filter(person_id=pid).values_list("number", flat=True)[0][
                3:
            ]
            text = f"{number[:3]} {number[3:5]} {number[5:]}"
        elif kind == "email":
            text = EmailAddress.objects.filter(person_id=pid).values_list("address", flat=True)[0]
        else:
            text = f"B{pid}"
        start = time.perf_counter()
        hits = search(agent, text)
        kinds[kind].append((time.perf_counter() - start) * 1000)
        assert hits or kind in ("name", "typo"), (kind, text)
    everything = [v for values in kinds.values() for v in values]
    report("search (all kinds)", everything)
    for kind, values in kinds.items():
        report(f"  search by {kind}", values)


def _ingest_bodies(batches: int, client: int, low: int, high: int) -> list[bytes]:
    from django.utils import timezone

    rng = random.Random(client)
    stamp = timezone.now().isoformat()
    run = f"{int(time.time())}-{client}"
    return [
        "\n".join(
            json.dumps(
                {
                    "person": {"source": "bench", "external_id": f"B{rng.randint(low, high)}"},
                    "type": "fitness.visit",
                    "occurred_at": stamp,
                    "source": "fitness",
                    "payload": {"centre": "Domus"},
                    "idempotency_key": f"bench-{run}-{b}-{i}",
                }
            )
            for i in range(10_000)
        ).encode()
        for b in range(batches)
    ]


def _ingest_client(plain: str, bodies: list[bytes], start_at: float) -> float:
    """One integration posting its batches one after another; returns when it finished."""
    from django.test import Client

    from luukku.core.runtime import settle_memory

    settle_memory()  # as a web process does after start-up (luukku/asgi.py)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    time.sleep(max(0.0, start_at - time.time()))
    for body in bodies:
        response = api.post("/api/v1/events/batch", data=body, content_type="application/x-ndjson")
        assert response.status_code == 200 and response.json()["created"] == 10_000, (
            response.content[:300]
        )
    return time.time()


def ingest(batches: int, clients: int) -> None:
    """`clients` integrations post at once, each from its own process (as from its own web
    worker); the figure is all events over the wall-clock time from start to last reply."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from django.db import connections

    from luukku.core.actions.tokens import create_api_token

    _agent_user, admin = _agent()
    _token, plain = create_api_token(user=admin, name="bench-ingest", by=None)
    low, high = _bench_range()
    bodies = [_ingest_bodies(batches, c, low, high) for c in range(clients)]
    connections.close_all()
    start_at = time.time() + 2.0
    with ProcessPoolExecutor(clients, mp_context=get_context("fork")) as pool:
        ends = list(pool.map(_ingest_client, [plain] * clients, bodies, [start_at] * clients))
    elapsed = max(ends) - start_at
    total = clients * batches * 10_000
    print(
        f"ingest: {total:,} events from {clients} client(s) in {elapsed:.1f} s "
        f"= {total / elapsed:,.0f} events/s"
    )


def import_bench(rows: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from luukku.customers.actions.imports import start_import
    from luukku.customers.importing import engine
    from luukku.customers.models import SourceSystem

    _agent_user, admin = _agent()
    source, _ = SourceSystem.objects.get_or_create(
        code="bench-import", defaults={"name": "Bench import"}
    )
    run_tag = int(time.time())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "persons.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Customer number", "First name", "Last name", "Email", "Mobile"])
            for n in range(rows):
                writer.writerow(
                    [
                        f"I{run_tag}-{n}",
                        "Siri",
                        f"Import{n}",
                        f"siri.{run_tag}.{n}@example.test",
                        f"9{(run_tag + n) % 10000000:07d}",
                    ]
                )
        start = time.perf_counter()
        run = start_import(
            upload=SimpleUploadedFile("persons.csv", path.read_bytes()),
            source=source,
            entity="person",
            org_unit=None,
            by=admin,
        )
        uploaded = time.perf_counter() - start
        start = time.perf_counter()
        engine.check(run)
        checked = time.perf_counter() - start
        start = time.perf_counter()
        engine.run_import(run)
        imported = time.perf_counter() - start
    print(
        f"import {rows:,} rows: upload {uploaded:.1f} s, check {checked:.1f} s, import {imported:.1f} s, "
        f"total {uploaded + checked + imported:.1f} s ({run.created:,} created, {run.error_count} problems)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--batches", type=int, default=5, help="ingest batches per client")
    parser.add_argument("--clients", type=int, default=1, help="concurrent ingest clients")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--phases", default="generate,read,list,search,ingest,import")
    args = parser.parse_args()
    _setup()
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "postgresql", "run the benchmark on PostgreSQL"
    call_command("migrate", verbosity=0)
    phases = args.phases.split(",")
    print(f"persons={args.persons:,} events={args.events:,} (PostgreSQL, 2 cores, 24 GiB)")
    if "generate" in phases:
        generate(args.persons, args.events)
    if "read" in phases:
        read(args.samples)
    if "list" in phases:
        list_bench(args.samples)
    if "search" in phases:
        search_bench(args.samples)
    if "ingest" in phases:
        ingest(args.batches, args.clients)
    if "import" in phases:
        import_bench(args.import_rows)


if __name__ == "__main__":
    main()
