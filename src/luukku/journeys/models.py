"""Journeys, their versions, the persons in them, and the events waiting to be heard."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luukku.consent.models import Purpose
from luukku.core.models import OrgUnit


class Journey(models.Model):
    """An automated program of steps for each person who enters it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=200)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owning org unit")
    )
    purpose = models.ForeignKey(
        Purpose,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journeys",
        verbose_name=_("purpose"),
        help_text=_("Its messages go only to those the purpose allows to contact."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The version persons enter now; a draft being edited is a newer one.
    current = models.ForeignKey(
        "Version", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Version(models.Model):
    """One version of a journey's definition (definition.py). A version persons have
    entered is never changed: editing makes a new draft version."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("journey version")
        verbose_name_plural = _("journey versions")
        ordering = ["journey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "number"], name="journey_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.journey} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.activated_at is None


class Enrolment(models.Model):
    """A person in a journey: where they are and when the scheduler next looks at them.

    `due_at` is when the current step acts (a wait ends, a step waiting for an event
    times out, a held step is looked at again); `wait_event` the event type the step
    waits for, shown and counted; an arriving event finds the person's enrolments
    through the index of active ones by person."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In the journey")
        COMPLETED = "completed", _("Completed")
        GOAL = "goal", _("Reached the goal")
        EXITED = "exited", _("Left")

    id = models.BigAutoField(primary_key=True)
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="enrolments")
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="enrolments")
    person = models.ForeignKey(
        "customers.Person", on_delete=models.CASCADE, related_name="journey_enrolments"
    )
    key = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    step = models.CharField(max_length=64, blank=True, default="")
    due_at = models.DateTimeField(null=True, blank=True)
    wait_event = models.CharField(max_length=100, blank=True, default="")
    seq = models.PositiveIntegerField(default=0)  # steps taken
    context = models.JSONField(default=dict, blank=True)
    entered_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    held_since = models.DateTimeField(null=True, blank=True)
    held_reason = models.CharField(max_length=200, blank=True, default="")
    held_seconds = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "person", "key"],
                condition=Q(status="active"),
                name="enrolment_active_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["journey", "due_at"],
                condition=Q(status="active", due_at__isnull=False),
                name="enrolment_due",
            ),
            # An event finds the enrolments it may concern through this: its person's
            # active ones (a goal, an exit, a wait for it).
            models.Index(fields=["person"], condition=Q(status="active"), name="enrolment_person"),
            models.Index(
                fields=["journey", "step"], condition=Q(status="active"), name="enrolment_at_step"
            ),
            models.Index(fields=["journey", "person", "key", "ended_at"], name="enrolment_past"),
            models.Index(fields=["journey", "-entered_at"], name="enrolment_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.journey_id}/{self.person_id} {self.step} {self.status}"

    @property
    def held_hours(self) -> float:
        return round(self.held_seconds / 3600, 1)


class Inbox(models.Model):
    """An event some journey reacts to, written in the transaction that stored it and
    taken by the reaction job (SKIP LOCKED): heard exactly once, even after a crash."""

    id = models.BigAutoField(primary_key=True)
    person_id = models.BigIntegerField()
    type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("journey inbox event")
        verbose_name_plural = _("journey inbox events")
        indexes = [models.Index(fields=["person_id", "id"], name="inbox_person_order")]

    def __str__(self) -> str:
        return f"{self.type} {self.person_id}"


class Stat(models.Model):
    """Counts per journey version, step, way out and day, kept in the transactions that
    move persons, so the diagram's figures and the funnel read a few hundred rows."""

    id = models.BigAutoField(primary_key=True)
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stats")
    version = models.PositiveIntegerField()
    step = models.CharField(max_length=64)  # "" for the journey as a whole
    metric = models.CharField(max_length=40)  # entered, passed, way:<way>, goal, exited…
    day = models.DateField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "version", "step", "metric", "day"], name="journey_stat_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.journey_id} v{self.version} {self.step} {self.metric} {self.n}"
