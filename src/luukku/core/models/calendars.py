"""Business calendars: when an org unit is open, for SLA clocks and business-day waits."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models.organization import OrgUnit, validate_time_zone


class HolidayCountry(models.TextChoices):
    NORWAY = "NO", _("Norway")
    FINLAND = "FI", _("Finland")
    SWEDEN = "SE", _("Sweden")
    DENMARK = "DK", _("Denmark")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(models.Model):
    """An org unit's opening hours; units without one follow the nearest unit above them."""

    org_unit = models.OneToOneField(
        OrgUnit, on_delete=models.CASCADE, related_name="calendar", verbose_name=_("org unit")
    )
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Oslo", validators=[validate_time_zone]
    )
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=2,
        blank=True,
        choices=HolidayCountry.choices,
        help_text=_("Closed on this country's public holidays. Leave empty for none."),
    )
    de_facto_holidays = models.BooleanField(
        _("also days most workplaces close"),
        default=True,
        help_text=_(
            "Such as Christmas Eve, Midsummer Eve and New Year's Eve in Sweden, "
            "which are not public holidays by law."
        ),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """One interval of the regular week; a closing time of 00:00 means midnight."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="hours", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["calendar", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class SpecialDay(models.Model):
    """A date with other hours than the week's: closed (no hours) or open at its own hours.

    A special day also overrides a public holiday, so a unit can open on one.
    """

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="special_days",
        verbose_name=_("calendar"),
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Intervals as "08:00-12:00,13:00-15:00"; empty when closed all day.
    hours = models.CharField(_("hours"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("special day")
        verbose_name_plural = _("special days")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="special_day_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()
