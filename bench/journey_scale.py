"""Journeys at scale: a million active enrolments advanced by the scheduler, and goal
events posted to the ingest API while they are inside.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_campaign_bench \\
        .venv/bin/python -m bench.journey_scale all --enrolments 1000000

Phases (each prints its figures):
  setup    a journey (wait a minute → branch on a field → wait up to 30 days for an
           event; a goal event whose branch sends a thank-you at once) and `--enrolments`
           persons in it, all due now at the first wait (written by one INSERT … SELECT;
           the customer base comes from bench.customers_scale, made when missing). With
           `--flow send` the branch is a message instead: each enrolment plans its
           message (consent, address, frequency cap) and writes its outbox row
  advance  `--processes` schedulers (as the journeys lane runs them) advance everyone
           due: step transitions a second, counted from the journey's rollups, each a
           timeline event; the channels' sending is not part of it
  goal     a web server and a worker (`luukku serve`) on loopback; `--goals` goal events
           posted one by one to POST /api/v1/events for persons in the journey; for
           each, the time until the enrolment has reached the goal and the thank-you is
           in the outbox: median and p95. With `--busy`, everyone is made due first, so
           the server's scheduler advances a million enrolments meanwhile
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")

NAME = "Bench journey"
BODY = (
    "<mjml><mj-body><mj-section><mj-column><mj-text>Takk, {{ person.first_name }}!"
    "</mj-text></mj-column></mj-section></mj-body></mjml>"
)


def _setup() -> None:
    import django

    django.setup()


FLOWS = {
    "wait": NAME,  # wait → branch → wait for an event
    "send": NAME + " with a message",  # wait → send a message → wait for an event
}


def _journey(flow: str = "wait"):  # type: ignore[no-untyped-def]
    from bench import segments_scale
    from luukku.campaigns.models import Content
    from luukku.campaigns.services import save_content
    from luukku.consent.models import LawfulBasis, Purpose
    from luukku.consent.purposes import save_purpose
    from luukku.journeys import services
    from luukku.journeys.models import Journey

    found = Journey.objects.filter(name=FLOWS[flow]).first()
    if found is not None:
        return found
    root = segments_scale._root()
    purpose = Purpose.objects.filter(slug="bench-journey").first() or save_purpose(
        Purpose(
            name="Bench journey",
            slug="bench-journey",
            org_unit=root,
            lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
            channels=["email"],
        ),
        by=None,
    )
    journey = services.create_journey(name=FLOWS[flow], org_unit=root, purpose=purpose, by=None)
    thanks = services.new_message(journey, name="Thanks", by=None)
    for language in {"nb", thanks.default_language}:
        save_content(
            Content(campaign=thanks, channel="email", language=language, subject="Takk", body=BODY)
        )
    services.save_draft(
        journey,
        {
            "goals": [{"event_type": "bench.goal", "then": "thanks"}],
            "start": "a",
            "steps": {
                "a": {"type": "wait", "duration": {"minutes": 1}, "next": "b"},
                "b": {
                    "type": "branch",
                    "all": [{"kind": "field", "field": "first_name", "op": "exists"}],
                    "yes": "c",
                    "no": "c",
                }
                if flow == "wait"
                else {"type": "send", "message": thanks.pk, "next": "c"},
                "c": {
                    "type": "wait_event",
                    "event_type": "bench.activated",
                    "timeout": {"days": 30},
                    "next": "d",
                    "timeout_next": "d",
                },
                "thanks": {"type": "send", "message": thanks.pk, "next": "d"},
                "d": {"type": "end"},
            },
        },
        by=None,
    )
    return services.activate(journey, by=None)


def setup(enrolments: int, flow: str) -> None:
    from django.db import connection, transaction

    from bench import customers_scale
    from luukku.customers.models import Person

    if Person.objects.count() < enrolments:
        customers_scale.generate(enrolments, 0)
    journey = _journey(flow)
    others = [_journey(f).pk for f in FLOWS]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM journeys_enrolment WHERE journey_id = ANY(%s)", [others])
        cursor.execute("DELETE FROM journeys_stat WHERE journey_id = ANY(%s)", [others])
        cursor.execute(
            """
            INSERT INTO journeys_enrolment (journey_id, version_id, person_id, key, status, step,
                due_at, wait_event, seq, context, entered_at, updated_at, held_reason,
                held_seconds, error)
            SELECT %s, %s, id, '', 'active', 'a', now() - interval '1 minute', '', 0,
                '{"waiting": "a"}'::jsonb, now(), now(), '', 0, ''
            FROM customers_person ORDER BY id LIMIT %s
            """,
            [journey.pk, journey.current_id, enrolments],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE journeys_enrolment")
    print(f"setup: {enrolments:,} enrolments due in {time.perf_counter() - started:.1f} s")


def _advance_in_process(seconds: float) -> int:
    _setup()
    from luukku.journeys.scheduler import advance_all_due

    return advance_all_due(seconds=seconds)


def _transitions(journey_id: int) -> int:
    from django.db.models import Sum

    from luukku.journeys.models import Stat

    counted = Stat.objects.filter(journey_id=journey_id).exclude(step="")
    return int(counted.aggregate(n=Sum("n"))["n"] or 0)


def advance(processes: int, flow: str) -> None:
    from luukku.journeys.models import Enrolment

    journey = _journey(flow)
    before = _transitions(journey.pk)
    due = Enrolment.objects.filter(journey=journey, status="active", step="a").count()
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        moved = sum(pool.map(_advance_in_process, [3600.0] * processes))
    elapsed = time.perf_counter() - started
    transitions = _transitions(journey.pk) - before
    if flow == "send":
        _discard_outbox(journey)
    print(
        f"advance: {moved:,} of {due:,} enrolments, {transitions:,} step transitions in "
        f"{elapsed:.1f} s with {processes} process(es): {transitions / elapsed:,.0f} "
        f"transitions/s, {moved / elapsed:,.0f} enrolments/s"
    )


def _discard_outbox(journey) -> None:  # type: ignore[no-untyped-def]
    """The messages queued here are not sent: no later phase's worker should send them."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from luukku.campaigns.models import Delivery
    from luukku.campaigns.tasks import send_run

    Delivery.objects.filter(run__campaign__name__startswith=journey.name).delete()
    DBTaskResult.objects.filter(
        task_path=send_run.module_path, status=TaskResultStatus.READY
    ).delete()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _token() -> str:
    from luukku.core.actions.tokens import create_api_token
    from luukku.core.models import User

    user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-admin", "bench@example.test", "bench-password"
    )
    _row, plain = create_api_token(user=user, name="bench", by=None)
    return plain


def goal(samples: int, *, busy: bool) -> None:
    from django.db import connection
    from django.utils import timezone

    from luukku.campaigns.models import Delivery
    from luukku.journeys.models import Enrolment

    journey = _journey()
    if busy:  # everyone due again: the server's scheduler advances them meanwhile
        Enrolment.objects.filter(journey=journey, status="active").update(
            step="a", due_at=timezone.now(), wait_event="", context={"waiting": "a"}
        )
    waiting = list(
        Enrolment.objects.filter(journey=journey, status="active").values_list(
            "person_id", flat=True
        )[: samples * 50]
    )
    if len(waiting) < samples:
        sys.exit("Run the advance phase first: too few persons wait in the journey.")
    chosen = random.Random(7).sample(waiting, samples)
    port = _free_port()
    env = {
        **os.environ,
        "LUUKKU_DEBUG": "0",  # as in production: no query log kept
        "LUUKKU_ALLOWED_HOSTS": "127.0.0.1",
        "LUUKKU_SECRET_KEY": secrets.token_urlsafe(48),
        "LUUKKU_SMTP_URL": "smtp://127.0.0.1:9",  # system mail: none is sent here
        "LUUKKU_SEND_JOURNAL_DIR": tempfile.mkdtemp(),
    }
    server = subprocess.Popen(  # noqa: S603 (our own arguments)
        [sys.executable, "-m", "luukku", "serve", "--port", str(port)],
        env=env,
        start_new_session=True,  # its worker and mail receiver stop with it
    )
    token = _token()
    try:
        _wait_for(port)
        time.sleep(3)  # the worker's lanes have started
        latencies = []
        for person_id in chosen:
            body = json.dumps(
                {
                    "person": {"id": person_id},
                    "type": "bench.goal",
                    "occurred_at": "2026-11-27T12:00:00+00:00",
                    "source": "bench",
                    "payload": {},
                }
            ).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/events",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                assert response.status == 201, response.status
            while True:
                connection.close()  # a fresh snapshot
                done = (
                    Enrolment.objects.filter(
                        journey=journey, person_id=person_id, status="goal"
                    ).exists()
                    and Delivery.objects.filter(
                        person_id=person_id, occurrence__startswith="j"
                    ).exists()
                )
                if done:
                    break
                if time.perf_counter() - started > 30:
                    raise SystemExit(f"no goal for person {person_id} after 30 s")
                time.sleep(0.01)
            latencies.append(time.perf_counter() - started)
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        active = Enrolment.objects.filter(journey=journey, status="active").count()
        print(
            f"goal: {samples} goal events through the API with {active:,} active enrolments"
            f"{' being advanced meanwhile' if busy else ''}: median "
            f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("phase", choices=["setup", "advance", "goal", "all"])
    parser.add_argument("--enrolments", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--flow", choices=sorted(FLOWS), default="wait")
    parser.add_argument("--goals", type=int, default=200)
    parser.add_argument(
        "--busy", action="store_true", help="make everyone due first: goals while advancing"
    )
    args = parser.parse_args()
    _setup()
    if args.phase in ("setup", "all"):
        setup(args.enrolments, args.flow)
    if args.phase in ("advance", "all"):
        advance(args.processes, args.flow)
    if args.phase in ("goal", "all"):
        goal(args.goals, busy=args.busy)


if __name__ == "__main__":
    main()
