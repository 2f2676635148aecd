"""Where cases wait: queues, the category tree and the statuses an organization uses."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit
from luukku.customers.models import Sensitivity


class Queue(models.Model):
    """A shared work list. Every staff member who may see cases in its org unit sees it."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name"), unique=True)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("org unit")
    )
    sensitivity = models.CharField(
        _("sensitivity"),
        max_length=16,
        choices=Sensitivity.choices,
        default=Sensitivity.NORMAL,
        help_text=_("Cases in a restricted queue are shown only to the staff of its unit."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Assignment(models.TextChoices):
        MANUAL = "manual", _("Manual: agents take cases")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOAD = "least_load", _("Least open cases first")
        SKILLS = "skills", _("Best skills first")

    assignment = models.CharField(
        _("assignment"),
        max_length=16,
        choices=Assignment.choices,
        default=Assignment.MANUAL,
        help_text=_(
            "Automatic assignment gives new cases only to agents who are available, "
            "within their working hours, not absent and below their number of cases."
        ),
    )
    return_unstarted = models.BooleanField(
        _("return unstarted cases"),
        default=True,
        help_text=_("When an agent goes away, their cases nobody has answered yet go back."),
    )
    is_triage = models.BooleanField(
        _("triage queue"),
        default=False,
        help_text=_(
            "Requests of this unit and the units below it that nothing else places "
            "(no queue for their mailbox, no routing rule) wait here to be sorted."
        ),
    )
    # Mail to this mailbox opens cases here (routing rules may send them elsewhere).
    mailbox = models.OneToOneField(
        "channels.Mailbox",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="queue",
        verbose_name=_("mailbox"),
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """What a case is about, in a tree per org unit (e.g. Housing, Repairs, Water)."""

    name = models.CharField(_("name"), max_length=100)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("org unit")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "parent", "name"], name="category_unique_name_per_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def line_of(category_id: int | None) -> set[int]:
        """The category and those above it (a rule on a category covers its subtree)."""
        line: set[int] = set()
        while category_id is not None and category_id not in line:
            line.add(category_id)
            category_id = (
                Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
            )
        return line


class StatusCategory(models.TextChoices):
    """The fixed states every status maps to; clocks, lists and reports use these."""

    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING_CUSTOMER = "pending_customer", _("Pending customer")
    PENDING_THIRD_PARTY = "pending_third_party", _("Pending third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


DONE = (StatusCategory.RESOLVED, StatusCategory.CLOSED)


class CaseStatus(models.Model):
    """A status an administrator adds (e.g. "Waiting for spare part"), mapped to a category."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    category = models.CharField(_("category"), max_length=24, choices=StatusCategory.choices)

    class Meta:
        verbose_name = _("case status")
        verbose_name_plural = _("case statuses")
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A person's named filter of a queue ("urgent and unassigned")."""

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="saved_case_views")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(max_length=500)  # the queue page's query string

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssignmentTurn(models.Model):
    """When an agent last got a case of a queue automatically: round robin's memory."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "user"], name="assignment_turn_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.queue_id} {self.user_id} {self.at}"


class AgentLoad(models.Model):
    """How many open cases an agent holds, and how much of their capacity those take
    (in hundredths of a case, by the channels' weights), kept by a PostgreSQL trigger on
    the cases table (migrations desk 0011 and 0014), so assignment reads one number per
    agent."""

    user = models.OneToOneField(
        "core.User", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    open_cases = models.IntegerField(default=0)
    load_units = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.open_cases}"


ONE_CASE = 100  # a channel weight's units: hundredths of a case


class ChannelWeight(models.Model):
    """How much of an agent's capacity ("cases at a time") one open case of a channel
    takes: a chat needs the agent's attention all along, a mail a moment now and then.
    A channel without a row weighs one case."""

    channel = models.CharField(_("channel"), max_length=16, unique=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=ONE_CASE)

    class Meta:
        verbose_name = _("channel weight")
        verbose_name_plural = _("channel weights")

    def __str__(self) -> str:
        return f"{self.channel}: {self.weight / ONE_CASE:g}"
