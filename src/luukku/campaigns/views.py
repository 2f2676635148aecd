"""Campaign pages: the list, the settings, a campaign's page with its pre-flight
report, sending (now or at a time), live progress, test sends, re-queueing what
failed, and the calendar of what the organization will send."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luukku.campaigns import services
from luukku.campaigns.access import campaign_for_actor, campaigns_visible_to
from luukku.campaigns.models import Block, Campaign, Delivery, FrequencyCap, Run
from luukku.campaigns.schedule import occurrences, valid_cron
from luukku.channels.models import SmsSender
from luukku.consent.models import Purpose
from luukku.core.access import Perm, is_organization_admin, require, staff, units_where
from luukku.core.actions.audit import audit_channel
from luukku.core.models import OrgUnit, User
from luukku.customers import access as customer_access
from luukku.segments.models import Segment


class CampaignForm(forms.ModelForm[Campaign]):
    default_language = forms.ChoiceField(
        label=gettext_lazy("default language"), choices=settings.LANGUAGES
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "org_unit",
            "purpose",
            "segments",
            "excluded_segments",
            "channels",
            "default_language",
            "per_minute",
            "per_domain_per_minute",
            "recurrence",
            "cron",
            "repeat_until",
            "quiet_from",
            "quiet_until",
            "goal_event",
            "goal_days",
            "ab_percent",
            "ab_metric",
            "ab_hours",
        ]
        widgets = {
            "segments": forms.SelectMultiple(attrs={"size": 6}),
            "excluded_segments": forms.SelectMultiple(attrs={"size": 4}),
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = units_where(actor, Perm.CAMPAIGN_MANAGE)
        fields: Any = self.fields
        fields["org_unit"].queryset = units
        fields["purpose"].queryset = Purpose.objects.filter(is_active=True)
        segments = Segment.objects.filter(is_active=True, org_unit__in=units)
        fields["segments"].queryset = segments
        fields["excluded_segments"].queryset = segments
        fields["segments"].required = False
        fields["repeat_until"].widget = forms.DateInput(attrs={"type": "date"})
        fields["quiet_from"].widget = forms.TimeInput(attrs={"type": "time"})
        fields["quiet_until"].widget = forms.TimeInput(attrs={"type": "time"})

    def clean_cron(self) -> str:
        expression = " ".join(str(self.cleaned_data.get("cron") or "").split())
        if expression and not valid_cron(expression):
            raise forms.ValidationError(
                _("Not a schedule: five fields, minute hour day month weekday (e.g. 0 9 * * 1).")
            )
        return expression

    def clean_ab_percent(self) -> int | None:
        value = self.cleaned_data.get("ab_percent")
        if value is not None and not 2 <= value <= 50:
            raise forms.ValidationError(_("Between 2 and 50 per cent."))
        return value


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    rows = campaigns_visible_to(actor).filter(kind=Campaign.Kind.CAMPAIGN)
    rows = rows.select_related("org_unit", "purpose")
    return render(
        request,
        "campaigns/list.html",
        {"campaigns": rows, "can_set_up": is_organization_admin(actor)},
    )


@login_required
def campaign_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, pk) if pk else None
    if campaign is not None and campaign.status != Campaign.Status.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("campaigns:detail", pk=campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign, actor=actor)
    if request.method == "POST" and form.is_valid():
        with audit_channel("web"):
            saved = services.save_campaign(form, by=actor)
        messages.success(request, _("Saved."))
        return redirect("campaigns:detail", pk=saved.pk)
    return render(request, "campaigns/edit.html", {"form": form, "campaign": campaign})


def _progress(campaign: Campaign, actor: User) -> dict[str, Any]:
    run = campaign.runs.order_by("-started_at").first()
    if run is None:
        return {"run": None}
    counts = services.counts(run)
    total = sum(counts.values())
    done = total - counts["queued"] - counts["sending"]
    return {
        "run": run,
        "counts": counts,
        "rows": [(status, label, counts[status]) for status, label in Delivery.Status.choices],
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 100,
        # Named only as far as the reader may see persons (restricted data stays so).
        "failed": run.deliveries.filter(
            status=Delivery.Status.FAILED,
            person__in=customer_access.persons_visible_to(actor),
        )
        .select_related("person")
        .order_by("pk")[:50],
    }


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, pk)
    contents = {(c.channel, c.language, c.variant): c for c in campaign.contents.all()}
    variants = ["", "b"] if campaign.ab_percent else [""]
    grid = [
        {
            "channel": channel,
            "variant": variant,
            "languages": [
                {"code": code, "name": name, "content": contents.get((channel, code, variant))}
                for code, name in settings.LANGUAGES
            ],
        }
        for channel in services.channels_of(campaign)
        for variant in variants
    ]
    context = {
        "campaign": campaign,
        "grid": grid,
        "preflight": services.preflight(campaign)
        if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)
        else None,
        "progress": _progress(campaign, actor),
        "runs": campaign.runs.order_by("-started_at"),
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "campaigns/detail.html", context)


@login_required
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel alone, polled while the campaign is being sent."""
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, pk)
    return render(
        request,
        "campaigns/_progress.html",
        {"campaign": campaign, "progress": _progress(campaign, actor)},
    )


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


@login_required
@require_POST
def campaign_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send now, or at the time given; refused with the reasons if it cannot be sent."""
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, pk)
    form = ScheduleForm(request.POST)
    at: datetime.datetime | None = form.cleaned_data["at"] if form.is_valid() else None
    try:
        with audit_channel("web"):
            services.schedule(campaign, at, by=actor)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        if at is not None and at > timezone.now():
            messages.success(request, _("Scheduled."))
        else:
            messages.success(request, _("Sending has started."))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, pk)
    with audit_channel("web"):
        services.cancel(campaign, by=actor)
    messages.success(request, _("Cancelled; nothing more is sent."))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_POST
def run_requeue(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, pk)
    run = get_object_or_404(Run, pk=run_id, campaign=campaign)
    with audit_channel("web"):
        count = services.requeue_failed(run, by=actor)
    messages.success(request, _("%(count)d queued again.") % {"count": count})
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_test(request: HttpRequest, pk: int) -> HttpResponse:
    """The email as a chosen customer (or the example recipient) gets it, to staff only."""
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, pk)
    try:
        sent_to = services.send_test(
            campaign,
            to=request.POST.get("to", ""),
            person_id=request.POST.get("person") or None,
            by=actor,
        )
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("Test sent to %(to)s.") % {"to": ", ".join(sent_to)})
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    """Everything the organization will say to customers, month by month or week by
    week, across all its units: scheduled and recurring campaigns and those sent."""
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    view = "week" if request.GET.get("view") == "week" else "month"
    today = timezone.localdate()
    try:
        anchor = datetime.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        anchor = today
    days = calendar_days(anchor, view)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(days[0], datetime.time(), zone)
    end = datetime.datetime.combine(days[-1] + datetime.timedelta(days=1), datetime.time(), zone)
    entries: dict[datetime.date, list[dict[str, Any]]] = {day: [] for day in days}
    for campaign in (
        Campaign.objects.select_related("org_unit")
        .filter(kind=Campaign.Kind.CAMPAIGN)
        .exclude(status__in=[Campaign.Status.CANCELLED])
    ):
        for at in occurrences(campaign, start, end) if campaign.status == "scheduled" else []:
            entries[timezone.localtime(at).date()].append(
                {"campaign": campaign, "at": at, "kind": "scheduled"}
            )
        for run in campaign.runs.filter(started_at__gte=start, started_at__lt=end):
            entries[timezone.localtime(run.started_at).date()].append(
                {"campaign": campaign, "at": run.started_at, "kind": "sent"}
            )
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    step = datetime.timedelta(days=7) if view == "week" else None
    previous = (days[0] - step) if step else (days[7] - datetime.timedelta(days=1)).replace(day=1)
    following = (days[0] + step) if step else days[-1] + datetime.timedelta(days=1)
    return render(
        request,
        "campaigns/calendar.html",
        {
            "view": view,
            "weeks": [
                [
                    {
                        "day": d,
                        "entries": sorted(entries[d], key=lambda e: e["at"]),
                        "other_month": view == "month" and d.month != anchor.month,
                        "today": d == today,
                    }
                    for d in week
                ]
                for week in weeks
            ],
            "anchor": anchor,
            "previous": previous,
            "following": following,
        },
    )


def calendar_days(anchor: datetime.date, view: str) -> list[datetime.date]:
    """Whole weeks from Monday: the anchor's week, or the weeks of its month."""
    if view == "week":
        monday = anchor - datetime.timedelta(days=anchor.weekday())
        return [monday + datetime.timedelta(days=n) for n in range(7)]
    first = anchor.replace(day=1)
    monday = first - datetime.timedelta(days=first.weekday())
    days = []
    day = monday
    while day.month == first.month or day < first or day.weekday() != 0:
        days.append(day)
        day += datetime.timedelta(days=1)
    return days


class FrequencyCapForm(forms.ModelForm[FrequencyCap]):
    class Meta:
        model = FrequencyCap
        fields = ["messages", "days"]


@login_required
def frequency_cap(request: HttpRequest) -> HttpResponse:
    """How many marketing messages one person gets at most in a period, across all
    campaigns: set by an organization administrator."""
    actor = staff(request)
    if not is_organization_admin(actor):
        raise PermissionDenied
    cap = FrequencyCap.objects.order_by("pk").first() or FrequencyCap()
    form = FrequencyCapForm(request.POST or None, instance=cap)
    if request.method == "POST" and form.is_valid():
        with audit_channel("web"):
            services.save_frequency_cap(form, by=actor)
        messages.success(request, _("Saved."))
        return redirect("campaigns:frequency_cap")
    return render(request, "campaigns/frequency_cap.html", {"form": form})


class BlockForm(forms.ModelForm[Block]):
    class Meta:
        model = Block
        fields = ["name", "key", "org_unit", "body"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "code"})
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_unit: Any = self.fields["org_unit"]
        org_unit.queryset = units_where(actor, Perm.CAMPAIGN_MANAGE)


@login_required
def block_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    return render(
        request, "campaigns/blocks.html", {"blocks": Block.objects.select_related("org_unit")}
    )


@login_required
def block_edit(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """A reusable block, checked like content before it is saved."""
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    units = units_where(actor, Perm.CAMPAIGN_MANAGE)
    block = get_object_or_404(Block, key=key, org_unit__in=units) if key else None
    form = BlockForm(request.POST or None, instance=block, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            with audit_channel("web"):
                services.save_block(form, by=actor)
        except ValidationError as error:
            for problem in error.messages:
                form.add_error("body", problem)
        else:
            messages.success(request, _("Saved."))
            return redirect("campaigns:blocks")
    return render(request, "campaigns/block_edit.html", {"form": form, "block": block})


class SmsSenderForm(forms.Form):
    """A unit's sender, set anew or changed (the model's own form would refuse a unit
    that has one already)."""

    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("Org unit"), queryset=OrgUnit.objects.order_by("path")
    )
    sender = SmsSender._meta.get_field("sender").formfield()


@login_required
def sms_senders(request: HttpRequest) -> HttpResponse:
    """The name (or number) each unit's text messages come from: set by an organization
    administrator; a unit without one uses the nearest above it."""
    actor = staff(request)
    if not is_organization_admin(actor):
        raise PermissionDenied
    form = SmsSenderForm(request.POST or None)
    if request.method == "POST" and request.POST.get("remove"):
        with audit_channel("web"):
            services.remove_sms_sender(
                get_object_or_404(SmsSender, pk=request.POST["remove"]), by=actor
            )
        messages.success(request, _("Removed."))
        return redirect("campaigns:sms_senders")
    if request.method == "POST" and form.is_valid():
        with audit_channel("web"):
            services.set_sms_sender(
                form.cleaned_data["org_unit"], form.cleaned_data["sender"], by=actor
            )
        messages.success(request, _("Saved."))
        return redirect("campaigns:sms_senders")
    senders = SmsSender.objects.select_related("org_unit").order_by("org_unit__path")
    return render(request, "campaigns/sms_senders.html", {"form": form, "senders": senders})
