"""Campaign sending at scale: a personalized email campaign to a million recipients,
handed to Postfix's `smtp-sink` on loopback, and a sender killed with SIGKILL mid-send.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_campaign_bench \\
        .venv/bin/python -m bench.campaign_send --persons 1000000 --recipients 1000000

Phases (each prints its figures):
  generate  the customer base (bench.customers_scale, one email each), a purpose every
            one of them consented to, and a static segment per audience size; skipped
            when present
  send      a campaign to `--recipients` persons: its outbox written (timed), then one
            sending worker process (the `send_run` job, as the send lane runs it) into
            smtp-sink; messages a second over the whole send and the worker's peak
            memory (its maximum resident set size)
  kill      a campaign to `--kill-recipients` persons: the sending worker killed with
            SIGKILL at a random moment, a new one started; every recipient must have
            exactly one message at the sink (counted by Message-ID) and the campaign's
            counts must match the sink
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
os.environ.setdefault("LUUKKU_DEBUG", "1")

BODY = """<mjml>
  <mj-head><mj-style>.lead { font-size: 18px; color: #1d3557; }</mj-style></mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text css-class="lead">Hei {{ person.first_name | default: "der" }}!</mj-text>
      <mj-text>Som {{ person.custom.student_status | default: "student" }} får du
        10 % rabatt på treningssenteret i {{ person.city | default: "byen din" }} denne
        måneden. Kontrakten din: {{ person.relationships.size }} forhold.</mj-text>
      <mj-button href="https://fitness.example.test/tilbud?kampanje=var">Se tilbudet</mj-button>
      <mj-text><a href="https://fitness.example.test/timeplan">Timeplan</a></mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>"""


def _setup() -> None:
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def generate(persons: int, sizes: list[int]) -> None:
    from django.db import connection

    from bench import customers_scale, segments_scale
    from luukku.consent.models import LawfulBasis, Purpose
    from luukku.consent.purposes import save_purpose
    from luukku.segments.models import Segment

    customers_scale.generate(persons, 0)
    root = segments_scale._root()
    purpose = Purpose.objects.filter(slug="bench-mail").first() or save_purpose(
        Purpose(
            name="Bench mail",
            slug="bench-mail",
            org_unit=root,
            lawful_basis=LawfulBasis.CONSENT,
            channels=["email", "sms"],
        ),
        by=None,
    )
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM consent_consentstate WHERE purpose_id = %s", [purpose.pk])
        if cur.fetchone()[0] == 0:
            start = time.perf_counter()
            cur.execute(
                """
                INSERT INTO consent_consentrecord (person_id, purpose_id, channel, action,
                    source, occurred_at, recorded_at, user_agent, evidence)
                SELECT id, %s, 'email', 'granted', 'import', now(), now(), '', '{}'::jsonb
                FROM customers_person
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
            print(f"consents in {time.perf_counter() - start:.1f} s", flush=True)
        for size in sizes:
            segment, made = Segment.objects.get_or_create(
                slug=f"bench-first-{size}",
                defaults={"name": f"First {size:,}", "org_unit": root, "kind": "static"},
            )
            if made:
                cur.execute(
                    """
                    INSERT INTO segments_membership (segment_id, person_id, since)
                    SELECT %s, id, now() FROM customers_person ORDER BY id LIMIT %s
                    """,
                    [segment.pk, size],
                )
        cur.execute("ANALYZE")


def _campaign(size: int):  # type: ignore[no-untyped-def]
    from bench import segments_scale
    from luukku.campaigns.models import Campaign, Content
    from luukku.campaigns.services import save_content
    from luukku.consent.models import Purpose
    from luukku.segments.models import Segment

    campaign = Campaign.objects.create(
        name=f"Bench {size:,} {time.strftime('%H:%M:%S')}",
        org_unit=segments_scale._root(),
        purpose=Purpose.objects.get(slug="bench-mail"),
    )
    campaign.segments.add(Segment.objects.get(slug=f"bench-first-{size}"))
    save_content(
        Content(
            campaign=campaign,
            channel="email",
            language="nb",
            subject="{{ person.first_name }}, vårtilbud fra treningssenteret",
            body=BODY,
        )
    )
    return campaign


def _prepared_run(size: int) -> int:
    """A campaign to the first `size` persons, its outbox written; the run's id."""
    from luukku.campaigns.models import Run
    from luukku.campaigns.services import materialize_run

    campaign = _campaign(size)
    run = Run.objects.create(campaign=campaign)
    start = time.perf_counter()
    materialize_run(run)
    print(f"outbox of {size:,} written in {time.perf_counter() - start:.1f} s", flush=True)
    campaign.status = "sending"
    campaign.save(update_fields=["status"])
    return run.pk


def _sink(port: int, dump: Path | None) -> subprocess.Popen[bytes]:
    command = ["smtp-sink", "-u", "nobody"]
    if dump is not None:
        command += ["-D", str(dump)]
    sink = subprocess.Popen(  # noqa: S603 (our own arguments)
        [*command, f"127.0.0.1:{port}", "1000"], stdout=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return sink
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("smtp-sink did not start (is Debian's postfix package installed?)")


def _worker(run_id: int, port: int, journal: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LUUKKU_BULK_SMTP_URLS": f"smtp://127.0.0.1:{port}",
        "LUUKKU_SEND_JOURNAL_DIR": str(journal),
    }
    return subprocess.Popen(  # noqa: S603 (our own arguments)
        [sys.executable, "-m", "bench.campaign_send", "worker", "--run", str(run_id)], env=env
    )


def worker(run_id: int) -> None:
    """The send lane's job, run here in a process of its own."""
    from luukku.campaigns.tasks import send_run

    start = time.perf_counter()
    outcome = send_run.call(run_id)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"worker: {outcome} in {time.perf_counter() - start:.1f} s, peak {peak:.0f} MB")


def _counts(run_id: int) -> Counter[str]:
    from django.db.models import Count

    from luukku.campaigns.models import Delivery

    return Counter(
        dict(
            Delivery.objects.filter(run_id=run_id)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
    )


def send(size: int) -> None:
    run_id = _prepared_run(size)
    port = free_port()
    journal = Path(tempfile.mkdtemp(prefix="luukku-journal-"))
    sink = _sink(port, None)
    try:
        start = time.perf_counter()
        process = _worker(run_id, port, journal)
        process.wait()
        elapsed = time.perf_counter() - start
    finally:
        sink.terminate()
    counts = _counts(run_id)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"send: {counts['sent']:,} sent of {size:,} in {elapsed:.1f} s = "
        f"{counts['sent'] / elapsed:,.0f} messages/s (worker start included); "
        f"sending worker peak memory {peak:.0f} MB; states {dict(counts)}",
        flush=True,
    )


def _message_ids(dump: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    with dump.open("rb") as file:
        for line in file:
            if line[:11].lower() == b"message-id:":
                found[line[11:].strip().decode()] += 1
    return found


def kill(size: int, seed: int) -> None:
    run_id = _prepared_run(size)
    port = free_port()
    journal = Path(tempfile.mkdtemp(prefix="luukku-journal-"))
    dump_dir = Path(tempfile.mkdtemp(prefix="luukku-sink-"))
    dump_dir.chmod(0o777)  # smtp-sink writes as nobody
    sink = _sink(port, dump_dir / "mail")
    try:
        first = _worker(run_id, port, journal)
        at = random.Random(seed).uniform(2.0, 10.0)
        time.sleep(at)
        first.send_signal(signal.SIGKILL)
        first.wait()
        before = _counts(run_id)
        print(f"killed after {at:.2f} s: states then {dict(before)}", flush=True)
        second = _worker(run_id, port, journal)
        second.wait()
        time.sleep(0.5)  # the sink writes the last transaction
    finally:
        sink.terminate()
        sink.wait()
    ids: Counter[str] = Counter()
    for dump in dump_dir.glob("mail*"):  # smtp-sink adds a suffix to the name
        ids += _message_ids(dump)
    twice = sum(1 for n in ids.values() if n > 1)
    counts = _counts(run_id)
    print(
        f"kill: {len(ids):,} distinct Message-IDs at the sink for {size:,} recipients, "
        f"{twice} received twice; campaign counts {dict(counts)}; "
        f"{'MATCH' if len(ids) == size == counts['sent'] and twice == 0 else 'MISMATCH'}",
        flush=True,
    )
    shutil.rmtree(dump_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "phase", nargs="?", default="all", choices=["all", "generate", "send", "kill", "worker"]
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--kill-recipients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--run", type=int)
    args = parser.parse_args()
    _setup()
    if args.phase == "worker":
        worker(args.run)
        return
    if args.phase in ("all", "generate"):
        generate(args.persons, sorted({args.recipients, args.kill_recipients}))
    if args.phase in ("all", "send"):
        send(args.recipients)
    if args.phase in ("all", "kill"):
        kill(args.kill_recipients, args.seed)


if __name__ == "__main__":
    main()
