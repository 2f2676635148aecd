"""Cases: one customer request, worked in a queue by one agent at a time."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit
from luukku.customers.models import Organization, Person, Sensitivity
from luukku.desk.models.queues import CaseStatus, Category, Queue, StatusCategory
from luukku.desk.models.settings import DeskSettings


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def priority_rank() -> models.Case:
    """Urgent first: the expression both the "priority" sort and its index use (the same
    SQL, so PostgreSQL reads the sorted index instead of sorting the queue)."""
    return models.Case(
        *[models.When(priority=p, then=models.Value(n)) for p, n in PRIORITY_RANK.items()],
        default=models.Value(9),
        output_field=models.IntegerField(),
    )


class CaseChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social media")
    PHONE = "phone", _("Phone")
    WEBFORM = "webform", _("Web form")
    API = "api", _("Integration")
    STAFF = "staff", _("Created by staff")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """A request from a customer. `version` grows with every change: a change made
    against an older version is refused (desk/services.py), so no update is lost."""

    number = models.BigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(
        _("status"), max_length=24, choices=StatusCategory.choices, default=StatusCategory.NEW
    )
    custom_status = models.ForeignKey(
        CaseStatus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("status shown"),
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("category"),
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, related_name="cases", verbose_name=_("queue")
    )
    # The queue's unit when the case was filed or moved; decides who may see it.
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("org unit")
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    # Who handed the case on to someone else: it stays in their "delegated by me" list.
    delegated_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="delegated_cases"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="cases", verbose_name=_("tags"))
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=CaseChannel.choices, default=CaseChannel.STAFF
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("person"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("organization"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent case"),
    )
    linked = models.ManyToManyField("self", blank=True, verbose_name=_("linked cases"))
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name=_("merged into"),
    )
    # One agent at a time: a soft lock that lapses unless its holder's page renews it.
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    suggest_faq = models.BooleanField(_("suggest as FAQ"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    # When the case was last resolved or closed; cleared when it opens again.
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Set by a routing rule: this policy instead of the first one whose conditions match.
    sla_policy = models.ForeignKey(
        "desk.SlaPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SLA policy"),
    )
    # The classifier's guess when it was not sure enough to set the category.
    suggested_category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested category"),
    )
    suggestion_confidence = models.FloatField(null=True, blank=True)
    # Likewise the queue, for a case in a triage queue.
    suggested_queue = models.ForeignKey(
        Queue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested queue"),
    )
    queue_confidence = models.FloatField(null=True, blank=True)
    # The soonest deadline of its running SLA clocks, and when that one warns (desk/sla.py).
    sla_due_at = models.DateTimeField(_("due"), null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["queue", "status", "-updated_at"], name="case_queue_status"),
            # A queue's open cases, newest change first: the queue page's default view.
            models.Index(
                fields=["queue", "-updated_at", "-id"],
                name="case_open_by_queue",
                condition=~models.Q(status__in=["resolved", "closed"]),
            ),
            # The same, most urgent first (the "priority" sort).
            models.Index(
                models.F("queue"),
                priority_rank(),
                models.F("updated_at").desc(),
                models.F("id").desc(),
                name="case_open_by_priority",
                condition=~models.Q(status__in=["resolved", "closed"]),
            ),
            # The same, soonest SLA deadline first (the "due" sort; PostgreSQL puts
            # cases without one last in an ascending index, as the sort asks).
            models.Index(
                models.F("queue"),
                models.F("sla_due_at").asc(),
                models.F("updated_at").desc(),
                models.F("id").desc(),
                name="case_open_by_due",
                condition=~models.Q(status__in=["resolved", "closed"]),
            ),
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["person", "-created_at"], name="case_person"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_done(self) -> bool:
        return self.status in (StatusCategory.RESOLVED, StatusCategory.CLOSED)

    @property
    def status_shown(self) -> str:
        """The administrator's status when one is set, else the category's name."""
        return self.custom_status.name if self.custom_status else str(self.get_status_display())

    @property
    def reference(self) -> str:
        """The number as people see it, with the organization's prefix: "SAK-1042"."""
        return f"{DeskSettings.of_unit(self.org_unit_id).case_prefix}{self.number}"

    @property
    def sla_state(self) -> str:
        """How its soonest SLA deadline stands: "breached", "warning", "ok", or "" (none)."""
        if self.sla_due_at is None:
            return ""
        now = timezone.now()
        if self.sla_due_at <= now:
            return "breached"
        return "warning" if self.sla_warn_at and self.sla_warn_at <= now else "ok"

    @property
    def working_on_it(self) -> Any:
        """Who is working on the case now; a lock whose page stopped renewing it has lapsed."""
        if self.locked_by_id and self.locked_until and self.locked_until > timezone.now():
            return self.locked_by
        return None


HISTORY_LABELS = {
    "case_created": _("case opened"),
    "customer_wrote": _("the customer wrote"),
    "replied": _("reply sent"),
    "note_added": _("note added"),
    "status_changed": _("status changed"),
    "assigned": _("assignee changed"),
    "classified": _("priority or category changed"),
    "taken_over": _("taken over"),
    "bounced": _("reply bounced"),
    "merged": _("merged into another case"),
    "merged_in": _("another case merged in"),
    "split": _("messages split off into a new case"),
    "acknowledged": _("receipt acknowledged"),
    "not_acknowledged": _("receipt not acknowledged"),
    "sla_warned": _("SLA deadline near"),
    "sla_breached": _("SLA deadline passed"),
    "escalated": _("escalated"),
    "escalation_failed": _("escalation failed"),
    "routed": _("changed by the routing rules"),
    "moved": _("moved to another queue"),
}


class HistoryEntry(models.Model):
    """What happened to a case, in order: created, assigned, status changed, replied, ..."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    @property
    def label(self) -> str:
        return str(HISTORY_LABELS.get(self.kind, self.kind.replace("_", " ")))
