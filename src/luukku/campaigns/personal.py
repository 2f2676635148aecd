"""Messages to one person at a time: a journey's step sends its message to each person
who reaches it, through the same outbox, consent gate, frequency cap, sender and
tracking as a campaign's run.

A journey's message is a campaign of kind "journey" with its content per channel and
language. Its deliveries go to an open run that is never finished (a new one once the
content changes, so that its links stay true), each with an `occurrence` naming what
sent it, so the same person may get the message once per enrolment and visit. Rows are
written in the caller's transaction: the step that sends and the message in the outbox
commit together or not at all, and the send job is queued in that same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, F, Max, Value, When
from django.utils import timezone

from luukku.campaigns import stats
from luukku.campaigns.audience import address_of, after_cap, plan
from luukku.campaigns.models import Campaign, Delivery, Run
from luukku.campaigns.preparing import keep_links, prepared_run
from luukku.core.jobs import enqueue_unless_waiting
from luukku.customers.models import Person

# Journeys' sends go before the default lane's other jobs: a thank-you is due at once.
SEND_PRIORITY = 40


@dataclass(frozen=True)
class Wanted:
    person_id: int
    occurrence: str


@dataclass(frozen=True)
class Queued:
    """What became of one wanted message on one channel."""

    delivery_id: int
    channel: str
    status: str  # queued or skipped
    reason: str  # why skipped


def open_run(campaign: Campaign) -> Run:
    """The run a journey message's deliveries go to: the newest one being sent, unless
    the content changed since it began. The campaign is locked only to start a new one,
    so schedulers side by side do not wait on each other."""
    found = _current(campaign)
    if found is not None:
        return found
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    found = _current(campaign)
    if found is not None:
        return found
    # Older runs stay open until their queues drain; new messages go to a run whose
    # links are the new content's.
    run = Run.objects.create(campaign=campaign, status=Run.Status.SENDING)
    run.campaign = campaign
    keep_links(run, prepared_run(run))
    return run


def _current(campaign: Campaign) -> Run | None:
    changed = campaign.contents.aggregate(at=Max("updated_at"))["at"]
    run = campaign.runs.filter(status=Run.Status.SENDING).order_by("-started_at").first()
    if run is not None and (changed is None or run.started_at >= changed):
        run.campaign = campaign
        return run
    return None


def queue_messages(
    campaign: Campaign, wanted: list[Wanted], *, service: bool = False
) -> dict[str, list[Queued]]:
    """Outbox rows for each wanted message (by its occurrence): queued, or skipped with
    the reason (no working address, no consent, the frequency cap). Call inside the
    transaction that records why they were sent."""
    if not wanted:
        return {}
    run = open_run(campaign)
    decided = _decide(campaign, sorted({w.person_id for w in wanted}), service=service)
    now = timezone.now()
    rows = []
    for item in wanted:
        for channel, status, reason, address, language in decided.get(item.person_id, []):
            rows.append(
                Delivery(
                    run=run,
                    person_id=item.person_id,
                    channel=channel,
                    address=address if status == Delivery.Status.QUEUED else "",
                    language=language,
                    status=status,
                    reason=reason,
                    created_at=now,
                    occurrence=item.occurrence,
                )
            )
    made = Delivery.objects.bulk_create(rows)
    ids = [row.pk for row in made]
    everyone = Delivery.objects.filter(pk__in=ids)
    stats.count_rows(run.pk, everyone, "planned")
    stats.count_rows(run.pk, everyone.filter(status=Delivery.Status.SKIPPED), "skipped")
    if any(row.status == Delivery.Status.QUEUED for row in made):
        send_soon(run)
    found: dict[str, list[Queued]] = {w.occurrence: [] for w in wanted}
    for row in made:
        found[row.occurrence].append(Queued(row.pk, row.channel, row.status, row.reason))
    return found


Decision = tuple[str, str, str, str, str]  # channel, status, reason, address, language


def _decide(
    campaign: Campaign, person_ids: list[int], *, service: bool
) -> dict[int, list[Decision]]:
    """For each person (within the owning unit's reach), on each channel the campaign
    uses: queued with the address, or skipped with the reason."""
    languages = set(campaign.contents.values_list("language", flat=True))
    language = Case(
        When(preferred_language__in=sorted(languages), then=F("preferred_language")),
        default=Value(campaign.default_language),
    )
    now = timezone.now()
    decided: dict[int, list[Decision]] = {}
    for part in plan(campaign, Person.objects.filter(pk__in=person_ids), service=service):
        pieces = [(part.status, part.reason, part.persons)] if service else after_cap(part, now)
        for status, reason, persons in pieces:
            address = address_of(part.channel) if status == Delivery.Status.QUEUED else Value("")
            for pk, found, lang in persons.annotate(_a=address, _l=language).values_list(
                "pk", "_a", "_l"
            ):
                decided.setdefault(pk, []).append((part.channel, status, reason, found or "", lang))
    return decided


def send_soon(run: Run) -> None:
    """Queue the run's send job in this transaction (durable with the rows it sends),
    unless one already waits to start."""
    from luukku.campaigns.tasks import send_run

    enqueue_unless_waiting(send_run, run.pk, priority=SEND_PRIORITY, queue_name="default")
