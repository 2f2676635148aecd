"""Service levels: policies with targets, each case's clocks, and their milestones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """Targets for the cases that meet its conditions; the first matching policy applies.

    `conditions` maps a condition to the values that satisfy it; a case must satisfy every
    condition given (an empty mapping matches every case of the unit):
    `priority`, `channel` (value lists), `queue`, `category` (ids; a category also
    covers those below it) and `relationship` (relationship type codes the customer has).
    """

    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("Applies to cases of this unit and of the units below it."),
    )
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response within (business minutes)"),
        null=True,
        blank=True,
        help_text=_("After each message from the customer once the first response is sent."),
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (business minutes)"), null=True, blank=True
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        _("warn when this share of the time has passed (%)"), default=80
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(warn_at_percent__gte=1, warn_at_percent__lte=99),
                name="sla_warn_percent_range",
                violation_error_message=_("Warn when 1 to 99 percent of the time has passed."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def minutes_for(self, target: str) -> int | None:
        minutes: int | None = getattr(self, f"{target}_minutes")
        return minutes


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    STOPPED = "stopped", _("Stopped")


class SlaClock(models.Model):
    """One target of one case, counted in business time of the case's calendar.

    The clock started at `started_at`; time spent paused so far is `paused_business`
    (business time), so the target falls due when business time since the start reaches
    the target plus that. `check_at` is the next moment the scheduler must look at it
    (the warning, then the deadline), indexed so a scan reads only what is due.
    """

    case = models.ForeignKey("desk.Case", on_delete=models.CASCADE, related_name="sla_clocks")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="clocks")
    target = models.CharField(max_length=16, choices=Target.choices)
    state = models.CharField(max_length=8, choices=ClockState.choices, default=ClockState.RUNNING)
    started_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=32, blank=True)
    paused_business = models.DurationField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    check_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["case", "target"], name="sla_clock_one_per_target"),
        ]
        indexes = [
            models.Index(
                fields=["check_at"],
                name="sla_clock_due",
                condition=models.Q(check_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.target} {self.state}"


class Milestone(models.TextChoices):
    STARTED = "started", _("started")
    PAUSED = "paused", _("paused")
    RESUMED = "resumed", _("resumed")
    WARNED = "warned", _("warned")
    MET = "met", _("met")
    BREACHED = "breached", _("breached")


class SlaEvent(models.Model):
    """A milestone of a clock, with what reports group by as it stood at that moment."""

    case = models.ForeignKey("desk.Case", on_delete=models.CASCADE, related_name="sla_events")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, related_name="+")
    target = models.CharField(max_length=16, choices=Target.choices)
    kind = models.CharField(max_length=8, choices=Milestone.choices)
    at = models.DateTimeField()
    reason = models.CharField(max_length=32, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    queue = models.ForeignKey("desk.Queue", on_delete=models.SET_NULL, null=True, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.SET_NULL, null=True, related_name="+")
    category = models.ForeignKey(
        "desk.Category", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["kind", "at"], name="sla_event_kind_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.target} {self.kind}"


class EscalationStep(models.Model):
    """What happens when a policy's clock warns or breaches: who is told and how, and
    whether the case is raised or handed on. A policy may have several steps."""

    class On(models.TextChoices):
        WARNED = "warned", _("On warning")
        BREACHED = "breached", _("On breach")

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    on = models.CharField(_("when"), max_length=8, choices=On.choices)
    notify_assignee = models.BooleanField(_("tell the assignee"), default=True)
    notify_supervisors = models.BooleanField(
        _("tell the queue's supervisors"),
        default=True,
        help_text=_("Supervisors of the case's unit and of the units above it."),
    )
    notify_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("also tell")
    )
    by_email = models.BooleanField(_("by email"), default=True)
    by_sms = models.BooleanField(
        _("by SMS"), default=False, help_text=_("To those with a mobile number.")
    )
    raise_priority = models.BooleanField(_("raise the priority one step"), default=False)
    reassign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hand the case to"),
    )

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["policy", "on", "pk"]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_on_display()}"


class Escalation(models.Model):
    """A case escalated to someone: their "escalated to me" list."""

    case = models.ForeignKey("desk.Case", on_delete=models.CASCADE, related_name="escalations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="escalations"
    )
    step = models.ForeignKey(EscalationStep, on_delete=models.SET_NULL, null=True, related_name="+")
    target = models.CharField(max_length=16, choices=Target.choices)
    kind = models.CharField(max_length=8, choices=Milestone.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        indexes = [models.Index(fields=["user", "-at"], name="escalation_user")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.user_id}"
