"""The desk at scale: 1,000,000 cases and 10,000,000 messages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_desk_bench \\
        .venv/bin/python -m bench.desk_scale --cases 1000000 --messages 10000000 --samples 200

Phases:
  generate  cases spread over the demo queues, with their messages, made by PostgreSQL
            (generate_series); skipped when the database already holds them
  read      the queue page (first page, open cases, newest first), the queue's rows as the
            page refreshes them, and the case page (claiming it), each timed in-process
"""

from __future__ import annotations

import argparse
import os
import random
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
os.environ.setdefault("LUUKKU_DEBUG", "1")

STATUSES = ["new", "open", "open", "pending_customer", "resolved", "closed", "closed", "closed"]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(label: str, samples_ms: list[float]) -> None:
    print(
        f"{label:<34} n={len(samples_ms):<5} p50={percentile(samples_ms, 50):7.1f} ms  "
        f"p95={percentile(samples_ms, 95):7.1f} ms  max={max(samples_ms):7.1f} ms"
    )


def generate(cases: int, messages: int) -> None:
    from django.db import connection

    from luukku.customers.models import Person
    from luukku.desk.models import Case, Queue

    have = Case.objects.count()
    if have >= cases:
        return
    queues = list(Queue.objects.filter(sensitivity="normal").values_list("pk", "org_unit_id"))
    persons = list(Person.objects.values_list("pk", flat=True)[:5000])
    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO desk_case (number, subject, status, priority, queue_id, org_unit_id,
                sensitivity, custom, channel, person_id, version, resolution_note, suggest_faq,
                created_at, updated_at)
            SELECT nextval('desk_case_number'), 'Bench case ' || g,
                   (%s::text[])[1 + g %% 8], (ARRAY['low','normal','normal','high','urgent'])[1 + g %% 5],
                   (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s],
                   'normal', '{}'::jsonb, 'email', (%s::bigint[])[1 + g %% %s], 1, '', false,
                   now() - (g %% 730) * interval '1 day', now() - (g %% 730) * interval '1 day'
            FROM generate_series(1, %s) g
            """,
            [
                STATUSES,
                [q for q, _u in queues],
                len(queues),
                [u for _q, u in queues],
                len(queues),
                persons,
                len(persons),
                cases - have,
            ],
        )
        print(
            f"generate cases: {cases - have:,} in {time.perf_counter() - start:.1f} s", flush=True
        )
        cur.execute("SELECT min(id), max(id) FROM desk_case")
        low, high = cur.fetchone()
        start = time.perf_counter()
        step = 2_000_000
        for offset in range(0, messages, step):
            n = min(step, messages - offset)
            cur.execute(
                """
                INSERT INTO desk_message (case_id, direction, channel, sender, recipients, subject,
                    body_text, body_html, delivery, delivery_error, external_id, thread_refs,
                    threading_reason, problems, created_at)
                SELECT %s + (g %% (%s - %s + 1)),
                       CASE WHEN g %% 3 = 0 THEN 'outbound' ELSE 'inbound' END, 'email',
                       'customer' || (g %% 5000) || '@example.test', '[]'::jsonb, 'Bench',
                       'Hei, dette er melding ' || g || '. Vennlig hilsen.', '', '', '',
                       '<bench-' || g || '@example.test>', '[]'::jsonb, '', '',
                       now() - (g %% 730) * interval '1 day'
                FROM generate_series(%s::bigint, %s::bigint) g
                """,
                [low, high, low, offset + 1, offset + n],
            )
            print(
                f"  messages {offset + n:,} / {messages:,} ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
        cur.execute("ANALYZE desk_case")
        cur.execute("ANALYZE desk_message")


def read(samples: int) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from luukku.core.models import User
    from luukku.desk.models import Case

    agent = User.objects.get(username="agent")
    client = Client()
    client.force_login(agent)
    for label, url, headers in [
        ("queue page", "/desk/queues/housing/", {}),
        ("queue rows (live refresh)", "/desk/queues/housing/", {"HTTP_HX_REQUEST": "true"}),
        ("queue, urgent first", "/desk/queues/housing/?sort=priority", {}),
    ]:
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            response = client.get(url, **headers)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        report(label, times)
    rng = random.Random(5)
    numbers = list(
        Case.objects.filter(queue__slug="housing").values_list("number", flat=True)[: samples * 20]
    )
    times = []
    for number in rng.sample(numbers, samples):
        start = time.perf_counter()
        response = client.get(f"/desk/cases/{number}/")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    report("case page", times)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/desk/cases/{numbers[0]}/")
    print(f"queries: case page {len(queries.captured_queries)}")
    reset_queries()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--phases", default="generate,read")
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from luukku.desk.models import Queue

    if not Queue.objects.exists():
        call_command("demo", "--persons", "2000", verbosity=0)
    if "generate" in args.phases:
        generate(args.cases, args.messages)
    if "read" in args.phases:
        read(args.samples)


if __name__ == "__main__":
    main()
