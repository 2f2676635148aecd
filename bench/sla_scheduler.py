"""The SLA scheduler among 1,000,000 cases with running clocks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_desk_bench \\
        .venv/bin/python -m bench.sla_scheduler --due 1000 --rounds 5 --samples 100

Needs the cases of `bench.desk_scale` (run it first). Gives every case a running first
response clock and a running resolution clock (made by PostgreSQL), their deadlines
spread over the coming 30 days, and the case its soonest deadline. Then, `--rounds`
times, makes `--due` clocks due at once and times one scan of the scheduler's job
(`check_sla_clocks`: find the due clocks, warn or breach them, write their events and
history), and one scan that finds nothing. Finally times the queue page sorted "due
soonest".
"""

from __future__ import annotations

import argparse
import os
import time

from bench.desk_scale import percentile, report

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
os.environ.setdefault("LUUKKU_DEBUG", "1")


def generate() -> int:
    """Two running clocks per case, once; the number of cases."""
    from django.db import connection

    from luukku.core.models import OrgUnit
    from luukku.desk.models import Case, SlaClock, SlaPolicy

    cases = Case.objects.count()
    if SlaClock.objects.count() >= 2 * cases:
        return cases
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Bench policy",
        defaults={
            "org_unit": OrgUnit.objects.filter(parent=None).first(),
            "first_response_minutes": 480,
            "resolution_minutes": 2400,
        },
    )
    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM desk_slaclock")
        for target, offset in (("first_response", 0), ("resolution", 86400)):
            # Deadlines spread over 30 days; the warning 20 % of the time before.
            cur.execute(
                """
                INSERT INTO desk_slaclock (case_id, policy_id, target, state, started_at,
                    pause_reason, paused_business, due_at, warn_at, check_at)
                SELECT c.id, %s, %s, 'running', now(), '', interval '0',
                       d.due, d.due - interval '2 hours', d.due - interval '2 hours'
                FROM desk_case c,
                     LATERAL (SELECT now() + interval '1 day'
                              + ((c.id * 7919 + %s) %% 2592000) * interval '1 second' AS due) d
                """,
                [policy.pk, target, offset],
            )
        cur.execute(
            """
            UPDATE desk_case c SET sla_due_at = s.due_at, sla_warn_at = s.warn_at
            FROM desk_slaclock s WHERE s.case_id = c.id AND s.target = 'first_response'
            """
        )
        cur.execute("VACUUM ANALYZE desk_slaclock")
        cur.execute("VACUUM ANALYZE desk_case")
    print(
        f"generate clocks: {2 * cases:,} for {cases:,} cases in {time.perf_counter() - start:.0f} s"
    )
    return cases


def make_due(count: int) -> None:
    """`count` clocks whose warning time has come, spread over the table."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE desk_slaclock SET warn_at = now() - interval '1 minute',
                check_at = now() - interval '1 minute', warned_at = NULL
            WHERE id IN (SELECT id FROM desk_slaclock ORDER BY random() LIMIT %s)
            """,
            [count],
        )


def scan() -> tuple[float, int]:
    from luukku.desk.tasks import check_sla_clocks

    start = time.perf_counter()
    done = check_sla_clocks.call()
    return (time.perf_counter() - start) * 1000, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--due", type=int, default=1000, help="clocks due per scan")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    import django

    django.setup()
    from django.test import Client

    from luukku.core.models import User

    cases = generate()
    busy, idle = [], []
    for round_ in range(args.rounds):
        make_due(args.due)
        elapsed, done = scan()
        busy.append(elapsed)
        print(
            f"scan {round_ + 1}: {done:,} clocks warned among {cases:,} cases in {elapsed:.0f} ms"
        )
        idle.append(scan()[0])
    report(f"scan with {args.due:,} due", busy)
    report("scan with none due", idle)
    print(f"worst scan: {max(busy):.0f} ms (p50 {percentile(busy, 50):.0f} ms)")

    client = Client()
    client.force_login(User.objects.get(username="agent"))
    times = []
    for _ in range(args.samples):
        start = time.perf_counter()
        response = client.get("/desk/queues/housing/?sort=due")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    report("queue, due soonest", times)


if __name__ == "__main__":
    main()
