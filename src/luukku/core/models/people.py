from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models.calendars import Weekday
from luukku.core.models.organization import (
    Organization,
    OrgUnit,
    language_choices,
    validate_time_zone,
)


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    FIELD_WORKER = "field_worker", _("Field worker")
    MARKETER = "marketer", _("Marketer")
    ANALYST = "analyst", _("Analyst")


class Presence(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class User(AbstractUser):
    """A staff user. Customers are not users; they live in the customers app."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organization"),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=language_choices,
        help_text=_("Leave empty to follow the organization's default."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Leave empty to follow the primary org unit's time zone."),
    )
    mobile = models.CharField(
        _("mobile number"),
        max_length=20,
        blank=True,
        help_text=_("For urgent notifications by SMS, such as escalated cases."),
    )
    capacity = models.PositiveSmallIntegerField(
        _("cases at a time"),
        default=10,
        help_text=_(
            "Automatic assignment gives no more than this; a case weighs by its channel "
            "(Desk setup, channel weights). 0: none automatically."
        ),
    )
    presence = models.CharField(
        _("presence"), max_length=16, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_set_at = models.DateTimeField(_("presence set at"), null=True, blank=True)
    presence_is_automatic = models.BooleanField(
        _("set automatically"),
        default=False,
        help_text=_("True when Luukku changed the presence because the user was idle."),
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def primary_unit(self) -> OrgUnit | None:
        """The org unit of the user's primary membership (else their first one)."""
        membership = (
            self.memberships.select_related("org_unit").order_by("-is_primary", "pk").first()
        )
        return membership.org_unit if membership else None


class Membership(models.Model):
    """A user's role in an org unit; it applies to that unit and every unit below it."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("org unit")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_primary = models.BooleanField(_("primary unit"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org_unit", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org_unit}"


class Team(models.Model):
    """A group of staff who share work, e.g. 'Housing first line'."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="teams", verbose_name=_("org unit")
    )
    name = models.CharField(_("name"), max_length=200)
    members = models.ManyToManyField(
        User, related_name="teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["org_unit__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One interval of a user's regular week, in the user's time zone."""

    Weekday = Weekday

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="working_hours", verbose_name=_("user")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["user", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")),
                name="working_hours_positive",
                violation_error_message=_("Working hours must end after they start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Absence(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        SICK = "sick", _("Sick leave")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="absences", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="absence_ordered",
                violation_error_message=_("The last day cannot come before the first day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} {self.starts_on}–{self.ends_on}"
