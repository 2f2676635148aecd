"""Keeping campaigns: content checked before it is saved, and the pre-flight report: who
the audience is and who of them would not get it, and why."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from luukku.campaigns import abtest, sending, stats
from luukku.campaigns.audience import capped, materialize, plan, tally
from luukku.campaigns.blocks import SLOT, blocks, expand
from luukku.campaigns.content import Format, compose
from luukku.campaigns.models import (
    Block,
    Campaign,
    Content,
    Delivery,
    FrequencyCap,
    Run,
    Stat,
)
from luukku.campaigns.preparing import compose_content, keep_links, prepared_run
from luukku.campaigns.schedule import next_after, quiet_end, recurs
from luukku.campaigns.variables import person_variables, sample_variables
from luukku.channels.models import SmsSender
from luukku.core.actions import audit
from luukku.core.jobs import enqueue_on_commit
from luukku.core.models import AuditEntry, OrgUnit, User
from luukku.core.tasks import send_staff_email
from luukku.core.templating import TemplateProblem, check
from luukku.customers.access import persons_visible_to

LABELS = {"subject": _lazy("subject"), "body": _lazy("body")}


@transaction.atomic
def save_content(content: Content) -> Content:
    """Refuse content that cannot be sent, with the part, the line and the reason."""
    if content.channel not in ("email", "sms"):
        raise ValidationError(_("Unknown channel: %(channel)s") % {"channel": content.channel})
    if content.language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Unknown language: %(code)s") % {"code": content.language})
    problems = content_problems(content)
    if problems:
        raise ValidationError(problems)
    content.full_clean()
    content.save()
    return content


def content_problems(content: Content) -> list[str]:
    """Why the content could not be sent (each part, line and reason), or nothing."""
    sample = sample_variables()
    problems = []
    try:
        body = expand(content.body)
    except TemplateProblem as problem:
        return [f"{LABELS['body']}: {problem}"]
    parts = [("body", body)]
    if content.channel == "email":
        parts.insert(0, ("subject", content.subject))
        if not content.subject.strip():
            problems.append(_("An email needs a subject."))
    for name, source in parts:
        try:
            check(source, sample)
        except TemplateProblem as problem:
            problems.append(f"{LABELS[name]}: {problem}")
    if not problems and content.channel == "email":
        try:
            compose(
                subject=content.subject,
                body=body,
                body_format=content.body_format or Format.MJML,
                variables=sample,
            )
        except TemplateProblem as problem:
            problems.append(str(problem))
    return problems


def message_problems(campaign: Campaign) -> list[str]:
    """A journey's message: its content in the default language for each channel, and
    every content renders (blocks it includes may have changed since it was saved)."""
    problems = []
    written = {(c.channel, c.language): c for c in campaign.contents.all()}
    for channel in channels_of(campaign):
        if (channel, campaign.default_language) not in written:
            problems.append(
                _("Write the %(channel)s content in the default language (%(language)s).")
                % {"channel": channel, "language": campaign.default_language}
            )
    for (channel, language), content in sorted(written.items()):
        problems += [f"{channel} {language}: {p}" for p in content_problems(content)]
    return problems


@dataclass
class Preflight:
    """The audience, and how many of them would not get the campaign, by reason."""

    audience: int = 0
    excluded_by_segment: int = 0
    no_consent: int = 0
    no_address: int = 0
    frequency_cap: int = 0
    will_get: int = 0
    quiet_hours: int = 0  # text messages that would wait for the quiet hours to end
    by_channel: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def problems_of(campaign: Campaign) -> list[str]:
    """Why the campaign cannot be sent as it is, or nothing."""
    problems = []
    if campaign.purpose is None:
        problems.append(_("Choose the purpose the campaign is sent for."))
    if not campaign.segments.exists():
        problems.append(_("Choose at least one segment to send to."))
    written = set(campaign.contents.values_list("channel", "language"))
    for channel in channels_of(campaign):
        if (channel, campaign.default_language) not in written:
            problems.append(
                _("Write the %(channel)s content in the default language (%(language)s).")
                % {"channel": channel, "language": campaign.default_language}
            )
    return problems


def channels_of(campaign: Campaign) -> list[str]:
    rule = campaign.channels
    if rule == Campaign.Channels.EMAIL:
        return ["email"]
    if rule == Campaign.Channels.SMS:
        return ["sms"]
    return ["email", "sms"]


@transaction.atomic  # for the segment query settings (audience.plan)
def preflight(campaign: Campaign) -> Preflight:
    """Counted in SQL with the plan the send itself follows (campaigns/audience.py)."""
    report = Preflight(problems=problems_of(campaign))
    if campaign.purpose is None or not campaign.segments.exists():
        return report
    parts = plan(campaign)
    report.audience, left, sizes = tally(campaign, parts)
    report.excluded_by_segment = report.audience - left
    now = timezone.now()
    for part, size in zip(parts, sizes, strict=True):
        if part.reason == Delivery.Reason.NO_ADDRESS:
            report.no_address += size
        elif part.reason == Delivery.Reason.NO_CONSENT:
            report.no_consent += size
        else:
            getting = size
            over = capped(part.persons, now).count()
            report.frequency_cap += over
            report.by_channel[part.channel] = getting - over
            report.will_get += getting - over
    at = campaign.scheduled_at if campaign.scheduled_at and campaign.scheduled_at > now else now
    if quiet_end(campaign, at) is not None:
        report.quiet_hours = report.by_channel.get("sms", 0)
    if report.audience == 0:
        report.problems.append(_("The audience is empty."))
    return report


class NotSendable(ValidationError):
    """The campaign cannot be sent or scheduled as it is; the message says why."""


def check_sendable(campaign: Campaign) -> Preflight:
    if campaign.kind == Campaign.Kind.JOURNEY:
        raise NotSendable(_("A journey's message is sent by its journey, to each in turn."))
    if campaign.status in (Campaign.Status.SENDING, Campaign.Status.FINISHED):
        raise NotSendable(_("The campaign was sent already."))
    report = preflight(campaign)
    if report.problems:
        raise NotSendable(report.problems)
    return report


@transaction.atomic
def schedule(campaign: Campaign, at: datetime.datetime | None, *, by: User) -> Campaign:
    """Send at `at`, or now when None; refused with the reasons when it cannot be sent."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    check_sendable(campaign)
    if recurs(campaign):  # the first time; the next ones follow from it
        campaign.scheduled_at = at or timezone.now()
        campaign.save(update_fields=["scheduled_at", "updated_at"])
    if at is not None and at > timezone.now():
        campaign.scheduled_at = at
        campaign.status = Campaign.Status.SCHEDULED
        campaign.save(update_fields=["scheduled_at", "status", "updated_at"])
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=campaign,
            changes={"status": ["draft", "scheduled"], "at": [None, at.isoformat()]},
        )
        return campaign
    start_run(campaign, by=by)
    return campaign


def start_run(campaign: Campaign, *, by: User | None) -> Run:
    """A new run of the campaign, prepared and sent by the send lane once this commits."""
    from luukku.campaigns.tasks import send_run

    run = Run.objects.create(campaign=campaign, started_by=by)
    campaign.status = Campaign.Status.SENDING
    campaign.save(update_fields=["status", "updated_at"])
    if by is not None:
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=campaign,
            changes={"status": ["draft", "sending"], "run": [None, run.pk]},
        )
    enqueue_on_commit(send_run, run.pk)
    return run


@transaction.atomic
def materialize_run(run: Run) -> Run:
    """The run's outbox, written all at once: every recipient a row, queued or skipped
    with the reason, and its links kept."""
    run = Run.objects.select_for_update().select_related("campaign").get(pk=run.pk)
    if run.status != Run.Status.PREPARING:
        return run
    campaign = run.campaign
    languages = set(campaign.contents.values_list("language", flat=True))
    materialize(run, languages | {campaign.default_language})
    if campaign.ab_percent and abtest.has_variant(campaign):
        abtest.split(run)
    everyone = Delivery.objects.filter(run=run)
    stats.count_rows(run.pk, everyone, "planned")
    stats.count_rows(run.pk, everyone.filter(status=Delivery.Status.SKIPPED), "skipped")
    keep_links(run, prepared_run(run))
    run.status = Run.Status.SENDING
    run.save(update_fields=["status"])
    return run


@transaction.atomic
def finish_if_done(run: Run) -> bool:
    """A run is finished once every row has a final state."""
    run = Run.objects.select_for_update().select_related("campaign").get(pk=run.pk)
    if run.status == Run.Status.FINISHED:
        return True
    if run.campaign.kind == Campaign.Kind.JOURNEY:
        return False  # open while the journey runs
    if sending.pending(run.pk):
        return False
    run.status, run.finished_at = Run.Status.FINISHED, timezone.now()
    run.save(update_fields=["status", "finished_at"])
    campaign = run.campaign
    following = next_after(campaign, timezone.now()) if recurs(campaign) else None
    if following is not None:  # a recurring campaign waits for its next time
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SCHEDULED, scheduled_at=following
        )
    else:
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.FINISHED
        )
    return True


@transaction.atomic
def requeue_failed(run: Run, *, by: User) -> int:
    """The failed rows of a run queued again, for a fresh series of attempts."""
    from luukku.campaigns.tasks import send_run

    run = Run.objects.select_for_update().select_related("campaign").get(pk=run.pk)
    # Those that failed to be sent; one the provider could not deliver after it was
    # handed over would fail the same way again.
    failed = run.deliveries.filter(status=Delivery.Status.FAILED, sent_at__isnull=True)
    stats.count_rows(run.pk, failed, "-failed")
    count = failed.update(status=Delivery.Status.QUEUED, attempts=0, retry_at=None, claim=None)
    if count:
        run.status, run.finished_at = Run.Status.SENDING, None
        run.save(update_fields=["status", "finished_at"])
        Campaign.objects.filter(pk=run.campaign_id).update(status=Campaign.Status.SENDING)
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=run.campaign,
            changes={"requeued": [0, count]},
        )
        enqueue_on_commit(send_run, run.pk)
    return count


@transaction.atomic
def cancel(campaign: Campaign, *, by: User) -> Campaign:
    """Stop a scheduled or sending campaign: what was not sent yet is skipped."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING):
        return campaign
    for run in campaign.runs.select_for_update().exclude(status=Run.Status.FINISHED):
        waiting = run.deliveries.filter(status=Delivery.Status.QUEUED)
        waiting.update(status=Delivery.Status.SKIPPED, reason=Delivery.Reason.CANCELLED)
        stats.count_rows(run.pk, run.deliveries.filter(reason=Delivery.Reason.CANCELLED), "skipped")
        run.status, run.finished_at = Run.Status.CANCELLED, timezone.now()
        run.save(update_fields=["status", "finished_at"])
    before = campaign.status
    campaign.status = Campaign.Status.CANCELLED
    campaign.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=campaign,
        changes={"status": [before, "cancelled"]},
    )
    return campaign


def counts(run: Run) -> dict[str, int]:
    """The run's rows by state (the progress panel asks every two seconds)."""
    return stats.states_of(Stat.objects.filter(run=run))


def save_campaign(form: Any, *, by: User) -> Campaign:
    """A campaign's settings from its form (a draft only), audited."""

    def made_by(campaign: Campaign) -> None:
        if campaign.pk is None:
            campaign.created_by = by

    saved: Campaign = _save_audited(form, by=by, before_save=made_by)
    return saved


def _save_audited(form: Any, *, by: User, before_save: Callable[[Any], None] | None = None) -> Any:
    """A model form saved in one transaction and audited with its fields' values before
    and after (many-to-many fields as their ids)."""
    instance = form.instance
    created = instance.pk is None
    fields = list(form.fields)
    with transaction.atomic():
        before = {} if created else _values(type(instance).objects.get(pk=instance.pk), fields)
        saved = form.save(commit=False)
        if before_save is not None:
            before_save(saved)
        saved.save()
        form.save_m2m()
        audit.record(
            actor=by,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            obj=saved,
            changes=audit.diff(before, _values(saved, fields)),
        )
    return saved


def _values(obj: Any, fields: list[str]) -> dict[str, Any]:
    many = {f.name for f in obj._meta.many_to_many}
    return {
        **audit.snapshot(obj, [name for name in fields if name not in many]),
        **{
            name: sorted(getattr(obj, name).values_list("pk", flat=True))
            for name in many & set(fields)
        },
    }


def send_test(campaign: Campaign, *, to: str, person_id: str | int | None, by: User) -> list[str]:
    """The email in the default language as a chosen customer of the audience (or the
    example recipient) gets it, marked as a test, to staff addresses only."""
    addresses = [a for a in to.replace(",", " ").split() if a] or [by.email]
    staff_addresses = {
        email.lower(): email
        for email in User.objects.filter(is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    }
    strangers = [a for a in addresses if a.lower() not in staff_addresses]
    if strangers or not addresses or not all(addresses):
        raise ValidationError(
            _("Test sends go to staff only; not staff: %(addresses)s")
            % {"addresses": ", ".join(strangers) or "–"}
        )
    content = campaign.contents.filter(channel="email", language=campaign.default_language).first()
    if content is None:
        raise ValidationError(_("Write the email content in the default language first."))
    person = None
    if person_id:
        person = persons_visible_to(by).filter(pk=int(person_id)).first()
        if person is None:
            raise ValidationError(_("No customer with that number that you may see."))
    variables = person_variables(person) if person is not None else sample_variables()
    try:
        email = compose_content(content, variables)
    except TemplateProblem as problem:
        raise ValidationError(str(problem)) from None
    send_staff_email.enqueue(
        subject=_("[Test] %(subject)s") % {"subject": email.subject},
        body=email.text,
        html_body=email.html,
        to=[staff_addresses[a.lower()] for a in addresses],
    )
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=campaign,
        changes={"test_sent_to": [None, ", ".join(addresses)]},
    )
    return addresses


def save_frequency_cap(form: Any, *, by: User) -> FrequencyCap:
    cap: FrequencyCap = _save_audited(form, by=by)
    return cap


def save_block(form: Any, *, by: User) -> Block:
    """A reusable block, refused with the line and reason when its Liquid does not work
    (or it includes a block that does not exist)."""
    block: Block = form.instance
    others = {k: v for k, v in blocks().items() if k != block.key}
    try:
        # A layout's place for the content is no Liquid; the rest of it must be.
        source = SLOT.sub("", block.body)
        check(expand(source, {**others, block.key: ""}), sample_variables())
    except TemplateProblem as problem:
        raise ValidationError(str(problem)) from None
    saved: Block = _save_audited(form, by=by)
    return saved


@transaction.atomic
def set_sms_sender(unit: OrgUnit, sender: str, *, by: User) -> SmsSender:
    found, created = SmsSender.objects.update_or_create(org_unit=unit, defaults={"sender": sender})
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=found,
        changes={"sender": [None, sender]},
    )
    return found


@transaction.atomic
def remove_sms_sender(found: SmsSender, *, by: User) -> None:
    audit.record(
        actor=by,
        action=AuditEntry.Action.DELETE,
        obj=found,
        changes={"sender": [found.sender, None]},
    )
    found.delete()
