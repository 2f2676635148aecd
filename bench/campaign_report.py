"""A campaign report at scale: a run of 1,000,000 recipients (made by
bench.campaign_send) with 10,000,000 tracking events on the timeline, and the
report page's server time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_campaign_bench \\
        .venv/bin/python -m bench.campaign_report --events 10000000

Phases:
  generate  10,000,000 `campaign.opened` and `campaign.clicked` events over two weeks
            for the recipients of the largest sent run, and the rollups the app keeps
            as they happen (the same counts, made here by one GROUP BY); skipped when
            present
  report    GET /campaigns/<id>/report/ in process (the page, its queries, its
            template), median and 95th percentile of 30 requests after a warm-up;
            and the API's report
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
os.environ.setdefault("LUUKKU_DEBUG", "1")


def _setup() -> None:
    import django

    django.setup()


def _largest_run():  # type: ignore[no-untyped-def]
    from django.db.models import Count

    from luukku.campaigns.models import Run

    run = (
        Run.objects.annotate(n=Count("deliveries"))
        .filter(n__gte=1)
        .order_by("-n")
        .select_related("campaign")
        .first()
    )
    if run is None:
        raise SystemExit("No sent run: run bench.campaign_send first.")
    return run


def generate(events: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from luukku.customers import partitions

    run = _largest_run()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM campaigns_stat WHERE run_id = %s AND metric = 'opened'",
            [run.pk],
        )
        if cur.fetchone()[0]:
            print("events and rollups present")
            return
        now = timezone.now()
        partitions.ensure_partitions(now - timezone.timedelta(days=15), now)
        cur.execute("SELECT min(id), max(id) FROM campaigns_delivery WHERE run_id = %s", [run.pk])
        low, high = cur.fetchone()
        start = time.perf_counter()
        step = 2_000_000
        for offset in range(0, events, step):
            n = min(step, events - offset)
            # 70 % opens, 30 % clicks; a delivery by a multiplicative hash of g.
            cur.execute(
                """
                INSERT INTO customers_event (type, occurred_at, recorded_at, source, sensitivity,
                    payload, idempotency_key, org_unit_id, person_id)
                SELECT CASE WHEN g %% 10 < 7 THEN 'campaign.opened' ELSE 'campaign.clicked' END,
                       now() - ((g * 7919) %% 1209600) * interval '1 second', now(), 'luukku',
                       'normal',
                       jsonb_build_object('campaign', %s, 'run', %s, 'delivery', d.id,
                           'channel', 'email', 'first', g <= %s,
                           'position', g %% 3, 'country', (ARRAY['NO','SE','FI','DK'])[1 + g %% 4],
                           'client', (ARRAY['mobile/iOS/Apple Mail','desktop/Windows/Outlook',
                                            'mobile/Android/Gmail'])[1 + g %% 3]),
                       NULL, %s, d.person_id
                FROM generate_series(%s::bigint, %s::bigint) g
                JOIN campaigns_delivery d ON d.id = %s + ((g * 48271) %% (%s - %s + 1))
                """,
                [
                    run.campaign_id,
                    run.pk,
                    high - low + 1,
                    run.campaign.org_unit_id,
                    offset + 1,
                    offset + n,
                    low,
                    high,
                    low,
                ],
            )
            print(
                f"  events {offset + n:,} / {events:,} ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
        cur.execute(
            """
            INSERT INTO campaigns_stat (run_id, channel, language, variant, hour, metric, key, n)
            SELECT %s, 'email', 'nb', '', date_trunc('hour', occurred_at), metric, key, count(*)
            FROM (
                SELECT occurred_at, m.metric, m.key
                FROM customers_event e,
                LATERAL (VALUES
                    (CASE WHEN e.type = 'campaign.opened' THEN 'opened' ELSE 'clicked' END, ''),
                    (CASE WHEN e.type = 'campaign.opened' THEN 'open_country'
                          ELSE 'click_country' END, e.payload->>'country'),
                    (CASE WHEN e.type = 'campaign.opened' THEN 'open_client'
                          ELSE 'click_client' END, e.payload->>'client'),
                    (CASE WHEN e.type = 'campaign.clicked' THEN 'link' END,
                     e.payload->>'position'),
                    (CASE WHEN (e.payload->>'first')::boolean THEN
                        CASE WHEN e.type = 'campaign.opened' THEN 'opened_unique'
                             ELSE 'clicked_unique' END END, '')
                ) AS m(metric, key)
                WHERE e.type IN ('campaign.opened', 'campaign.clicked')
                  AND e.source = 'luukku' AND (e.payload->>'run')::bigint = %s
                  AND m.metric IS NOT NULL
            ) x
            GROUP BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT (run_id, channel, language, variant, hour, metric, key)
            DO UPDATE SET n = excluded.n
            """,
            [run.pk, run.pk],
        )
        cur.execute("ANALYZE campaigns_stat")
        cur.execute("ANALYZE campaigns_delivery")
        print(f"rollups in {time.perf_counter() - start:.0f} s")


def report(samples: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from luukku.core.models import User

    run = _largest_run()
    user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-admin", "bench@example.test", "bench-password-123"
    )
    client = Client()
    client.force_login(user)
    url = f"/campaigns/{run.campaign_id}/report/"
    for _ in range(3):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    cur = connection.cursor()
    cur.execute("SELECT count(*) FROM campaigns_delivery WHERE run_id = %s", [run.pk])
    recipients = cur.fetchone()[0]
    cur.execute(
        "SELECT coalesce(sum(n), 0) FROM campaigns_stat WHERE run_id = %s "
        "AND metric IN ('opened', 'clicked')",
        [run.pk],
    )
    tracked = cur.fetchone()[0]
    print(
        f"report page for {recipients:,} recipients, {tracked:,} opens and clicks: "
        f"median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
        f"{len(queries)} queries",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", nargs="?", default="all", choices=["all", "generate", "report"])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    _setup()
    if args.phase in ("all", "generate"):
        generate(args.events)
    if args.phase in ("all", "report"):
        report(args.samples)


if __name__ == "__main__":
    main()
