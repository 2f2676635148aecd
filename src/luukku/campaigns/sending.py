"""Sending a run, batch by batch, every recipient exactly once.

A sender claims a batch of queued rows (SKIP LOCKED: many senders share a run), marks
them *sending* under a claim number and commits. It then opens the claim's journal
(channels/journal.py), builds and hands over each message, writing the row's number
to the journal the moment the message's end is written, and afterwards records the
whole batch's outcomes and their timeline events in one transaction, and drops the
journal. A sender killed at any point leaves either nothing (the claim was not
committed), or a journal the next sender finds (`recover`): rows it names were handed
over and count as sent, the rest of the batch goes back to the queue.

Temporary failures (no connection, a 4xx answer) go back to the queue with a growing
delay, up to `MAX_ATTEMPTS`; a 5xx answer fails the row with the server's words.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import secrets
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from luukku.campaigns import stats, tracking
from luukku.campaigns.abtest import HELD_UNTIL
from luukku.campaigns.events import delivery_event
from luukku.campaigns.models import Campaign, Delivery, Run
from luukku.campaigns.prepared import PreparedEmail
from luukku.campaigns.preparing import Prepared, prepared_run
from luukku.campaigns.schedule import quiet_end
from luukku.campaigns.variables import variables_for
from luukku.channels import journal
from luukku.channels.email import bulk
from luukku.channels.sms import provider as sms
from luukku.channels.sms.receipts import callback_url
from luukku.customers.actions.timeline import NewEvent, append_events

logger = logging.getLogger("luukku.campaigns")

BATCH = 500
MAX_ATTEMPTS = 5
# A row still marked as being sent after this, with no journal on this machine, was
# held by a sender elsewhere that stopped.
HELD_FOR = datetime.timedelta(minutes=10)


def retry_delay(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(3600, 60 * 4 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Row:
    id: int
    person_id: int
    channel: str
    address: str
    language: str
    attempts: int
    variant: str = ""


ROW_FIELDS = ("id", "person_id", "channel", "address", "language", "attempts", "variant")


def journal_dir() -> Path:
    return Path(settings.LUUKKU_SEND_JOURNAL_DIR)


def hold_for_quiet_hours(run: Run, now: datetime.datetime) -> None:
    """In the SMS quiet hours, the run's text messages wait until they end."""
    end = quiet_end(run.campaign, now)
    if end is not None:
        Delivery.objects.filter(run=run, channel="sms", status=Delivery.Status.QUEUED).filter(
            Q(retry_at__isnull=True) | Q(retry_at__lt=end)
        ).update(retry_at=end)


CLAIM = """
UPDATE campaigns_delivery SET status = 'sending', claim = %s, claimed_at = %s,
    attempts = attempts + 1
WHERE id IN (
    SELECT id FROM campaigns_delivery
    WHERE run_id = %s AND status = 'queued' AND (retry_at IS NULL OR retry_at <= %s)
    ORDER BY id LIMIT %s {lock}
)
RETURNING id, person_id, channel, address, language, attempts, variant
"""


def claim(run_id: int, size: int = BATCH) -> tuple[int, list[Row]]:
    """Up to `size` due queued rows of the run, marked as being sent under a new claim,
    in one statement (rows another sender holds are skipped, not waited for)."""
    number = secrets.randbits(62)
    now = timezone.now()
    lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CLAIM.format(lock=lock), [number, now, run_id, now, size])
        rows = [Row(*values) for values in sorted(cursor.fetchall())]
    return number, rows


DEFERRED = "deferred"  # not tried: its receiving domain had its share this minute


class DomainPace:
    """At most `per_minute` messages a minute to one receiving domain, from this sender;
    `wait` says how many seconds until the next may go (0: now, and it is counted)."""

    def __init__(self, per_minute: int | None) -> None:
        self.per_minute = per_minute
        self.sent: dict[str, deque[float]] = defaultdict(deque)

    def wait(self, address: str) -> float:
        if not self.per_minute:
            return 0.0
        times = self.sent[address.rpartition("@")[2].lower()]
        now = time.monotonic()
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) >= self.per_minute:
            return 60 - (now - times[0])
        times.append(now)
        return 0.0


@dataclass
class Outcomes:
    """A batch's outcomes, recorded together."""

    sent: list[Row]
    failed: dict[str, list[Row]]  # the server's answer: rows
    again: dict[str, list[Row]]
    deferred: list[tuple[Row, float]] = field(default_factory=list)  # (row, seconds)

    @classmethod
    def empty(cls) -> Outcomes:
        return cls(sent=[], failed=defaultdict(list), again=defaultdict(list))

    def add(self, row: Row, outcome: bulk.Outcome) -> None:
        if outcome.kind == DEFERRED:
            self.deferred.append((row, float(outcome.reply)))
        elif outcome.kind in (bulk.SENT, bulk.UNCERTAIN):
            self.sent.append(row)
        elif outcome.kind == bulk.REFUSED:
            self.failed[outcome.reply[:1000]].append(row)
        elif row.attempts >= MAX_ATTEMPTS:
            message = f"Gave up after {row.attempts} tries: {outcome.reply}"
            self.failed[message[:1000]].append(row)
        else:
            self.again[outcome.reply[:1000]].append(row)


@transaction.atomic
def record(campaign: Campaign, run_id: int, outcomes: Outcomes) -> None:
    """The batch's outcomes and a `campaign.sent` event for each row sent."""
    now = timezone.now()
    Delivery.objects.filter(id__in=[r.id for r in outcomes.sent]).update(
        status=Delivery.Status.SENT, sent_at=now, error="", claim=None
    )
    for reply, rows in outcomes.failed.items():
        Delivery.objects.filter(id__in=[r.id for r in rows]).update(
            status=Delivery.Status.FAILED, error=reply, claim=None
        )
    for reply, rows in outcomes.again.items():
        by_attempts: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            by_attempts[row.attempts].append(row.id)
        for attempts, ids in by_attempts.items():
            Delivery.objects.filter(id__in=ids).update(
                status=Delivery.Status.QUEUED,
                error=reply,
                claim=None,
                retry_at=now + retry_delay(attempts),
            )
    for row, seconds in outcomes.deferred:  # not an attempt: it was never tried
        Delivery.objects.filter(id=row.id).update(
            status=Delivery.Status.QUEUED,
            claim=None,
            attempts=F("attempts") - 1,
            retry_at=now + datetime.timedelta(seconds=seconds),
        )
    append_events([sent_event(campaign, run_id, row, now) for row in outcomes.sent])
    counted: Counter[stats.Key] = Counter()
    hour = stats.hour_of(now)
    for metric, rows in [("sent", outcomes.sent)] + [
        ("failed", rows) for rows in outcomes.failed.values()
    ]:
        for row in rows:
            counted[(run_id, row.channel, row.language, row.variant, hour, metric, "")] += 1
    stats.bump(counted)


def sent_event(campaign: Campaign, run_id: int, row: Row, at: datetime.datetime) -> NewEvent:
    # No idempotency key needed: only rows still being sent are recorded, in the
    # transaction that marks them sent.
    return delivery_event(
        campaign,
        person_id=row.person_id,
        run_id=run_id,
        delivery_id=row.id,
        channel=row.channel,
        type="campaign.sent",
        at=at,
    )


class Sender:
    """Sends the queued rows of one run through one transport."""

    def __init__(self, run: Run, transport: bulk.Transport | None = None) -> None:
        self.run = run
        self.campaign = run.campaign
        self.prepared: Prepared = prepared_run(run)
        self._transport = transport
        self._sms: sms.Provider | None = None
        self.pause = 60.0 / self.campaign.per_minute if self.campaign.per_minute else 0.0
        self.domains = DomainPace(self.campaign.per_domain_per_minute)

    @property
    def transport(self) -> bulk.Transport:
        """Opened at the first email (an SMS-only run needs none)."""
        if self._transport is None:
            self._transport = bulk.transport()
        return self._transport

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def send_batch(self, size: int = BATCH) -> int:
        """Claim, send and record one batch; the number of rows it held."""
        hold_for_quiet_hours(self.run, timezone.now())
        number, rows = claim(self.run.pk, size)
        if not rows:
            return 0
        held = journal.Journal(journal_dir(), number)
        variables = variables_for(
            sorted({row.person_id for row in rows}), needs=self.prepared.needs
        )
        outcomes = Outcomes.empty()
        for row in rows:
            started = time.monotonic()
            outcomes.add(row, self.send_one(row, variables.get(row.person_id), held.handed))
            if self.pause:
                time.sleep(max(0.0, self.pause - (time.monotonic() - started)))
        record(self.campaign, self.run.pk, outcomes)
        held.discard()
        return len(rows)

    def send_one(
        self, row: Row, variables: dict[str, Any] | None, handed: Callable[[int], None]
    ) -> bulk.Outcome:
        """One row made and handed over. (Handing over in a thread of its own while the
        next is made was measured slower: the threads wait on each other for the
        interpreter.)"""
        made = self._make(row, variables, handed)
        if isinstance(made, bulk.Parcel):
            return self.transport.hand_over(made.sender, made.recipient, made.data, made.handed)
        return made

    def _make(
        self, row: Row, variables: dict[str, Any] | None, handed: Callable[[int], None]
    ) -> bulk.Outcome | bulk.Parcel:
        """The row's email ready to hand over, or the outcome when it is not one (an SMS is
        sent here and now)."""
        if variables is None:
            return bulk.Outcome(bulk.REFUSED, "The person no longer exists.")
        variables["unsubscribe_url"] = tracking.unsubscribe_url(row.id)
        variables["preferences_url"] = tracking.preferences_url(row.id)
        if row.channel == "sms":
            return self._send_sms(row, variables, handed)
        wait = self.domains.wait(row.address)
        if wait:
            return bulk.Outcome(DEFERRED, f"{wait:.0f}")
        email = self.prepared.email_for(row.language, row.variant)
        if email is None:
            return bulk.Outcome(bulk.REFUSED, f"No email content in {row.language}.")
        try:
            data = self._message(row, email, variables)
        except Exception as error:  # a value that breaks the template: this row only
            logger.exception("Campaign mail for delivery %s could not be made", row.id)
            return bulk.Outcome(bulk.REFUSED, f"Could not make the message: {error}")
        return bulk.Parcel(
            sender=tracking.bounce_address(row.id, self.prepared.bounce_domain),
            recipient=row.address,
            data=data,
            handed=lambda: handed(row.id),
        )

    def _message(self, row: Row, email: PreparedEmail, variables: dict[str, Any]) -> bytes:
        links: dict[int, str] = {}

        def link(position: int) -> str:  # each link twice (HTML and text), signed once
            if position not in links:
                links[position] = tracking.click_url(row.id, position)
            return links[position]

        parts = email.render(variables, link)
        pixel = f'<img src="{tracking.open_url(row.id)}" width="1" height="1" alt="">'
        end = parts.html.rfind("</body>")
        html = parts.html[:end] + pixel + parts.html[end:] if end >= 0 else parts.html + pixel
        prepared = self.prepared
        headers = [
            ("From", prepared.from_header),
            ("To", row.address),
            ("Subject", bulk.header_value(parts.subject)),
            ("Date", email_date()),
            ("Message-ID", tracking.message_id(self.run.pk, row.id, prepared.sender_domain)),
            ("List-Unsubscribe", f"<{variables['unsubscribe_url']}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Feedback-ID", prepared.feedback_id),
        ]
        data = bulk.build_message(headers, text=parts.text, html=html)
        return prepared.dkim(data) if prepared.dkim else data

    def _send_sms(
        self, row: Row, variables: dict[str, Any], handed: Callable[[int], None]
    ) -> bulk.Outcome:
        source = self.prepared.sms_for(row.language, row.variant)
        if source is None:
            return bulk.Outcome(bulk.REFUSED, f"No SMS content in {row.language}.")
        try:
            text = source.render(**variables)
            if self._sms is None:
                self._sms = sms.Provider.from_settings()
            self._sms.send(
                row.address,
                text,
                sender=self.prepared.sms_sender,
                status_callback=callback_url(f"campaign.delivery:{row.id}"),
            )
        except sms.NotConfigured:
            return bulk.Outcome(bulk.REFUSED, "No SMS provider is configured.")
        except sms.Refused as error:
            return bulk.Outcome(bulk.REFUSED, str(error))
        except sms.TemporaryError as error:
            return bulk.Outcome(bulk.AGAIN, str(error))
        except Exception as error:
            return bulk.Outcome(bulk.REFUSED, f"Could not make the message: {error}")
        handed(row.id)
        return bulk.Outcome(bulk.SENT)


_date_cache: tuple[int, str] = (0, "")


def email_date() -> str:
    """The Date header, made once a second."""
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, email.utils.formatdate(second, usegmt=True))
    return _date_cache[1]


def recover() -> int:
    """Batches whose sender died: on this machine from their journals; elsewhere, after
    `HELD_FOR`, failed as uncertain (they may have left), for a person to re-queue."""
    found = 0
    for orphan in journal.orphans(journal_dir()):
        found += 1
        with transaction.atomic():
            rows = Delivery.objects.filter(claim=orphan.claim, status=Delivery.Status.SENDING)
            handed = list(rows.filter(id__in=orphan.handed).values_list("id", "run_id"))
            if handed:
                _record_recovered(handed)
            rows.exclude(id__in=orphan.handed).update(
                status=Delivery.Status.QUEUED, claim=None, attempts=F("attempts") - 1
            )
    stale = Delivery.objects.filter(  # through the (run, status) index
        run__in=Run.objects.filter(status=Run.Status.SENDING),
        status=Delivery.Status.SENDING,
        claimed_at__lt=timezone.now() - HELD_FOR,
    )
    for run_id in set(stale.values_list("run_id", flat=True)):
        with transaction.atomic():
            rows = stale.filter(run_id=run_id).select_for_update()
            stats.count_rows(run_id, rows, "failed")
            rows.update(
                status=Delivery.Status.FAILED,
                claim=None,
                error="The sender stopped while sending these, on another machine; they "
                "may have left. Re-queue them if the recipients did not get them.",
            )
    return found


def _record_recovered(handed: list[tuple[int, int]]) -> None:
    by_run: dict[int, list[int]] = defaultdict(list)
    for delivery_id, run_id in handed:
        by_run[run_id].append(delivery_id)
    for run_id, ids in by_run.items():
        run = Run.objects.select_related("campaign").get(pk=run_id)
        outcomes = Outcomes.empty()
        for values in Delivery.objects.filter(id__in=ids).values_list(*ROW_FIELDS):
            outcomes.sent.append(Row(*values))
        record(run.campaign, run_id, outcomes)


def next_retry(run_id: int) -> datetime.datetime | None:
    """When the next waiting row of the run is due (those an A/B test holds are moved on
    by its decision, not by time)."""
    found: datetime.datetime | None = (
        Delivery.objects.filter(run_id=run_id, status=Delivery.Status.QUEUED)
        .exclude(retry_at=HELD_UNTIL)
        .aggregate(at=Min("retry_at"))["at"]
    )
    return found


def only_held(run_id: int) -> bool:
    """Everything left waits for the A/B test's decision."""
    left = Delivery.objects.filter(
        run_id=run_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    return left.exists() and not left.exclude(retry_at=HELD_UNTIL).exists()


def pending(run_id: int) -> bool:
    return Delivery.objects.filter(
        run_id=run_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    ).exists()
