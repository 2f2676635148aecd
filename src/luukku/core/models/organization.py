from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value})


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class Organization(models.Model):
    """The organization that runs this Luukku: a welfare organization, a municipality, a bank."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    country = models.CharField(
        _("country"), max_length=2, default="NO", help_text=_("ISO 3166 code, e.g. NO, FI, SE.")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Oslo", validators=[validate_time_zone]
    )
    language = models.CharField(_("default language"), max_length=8, default="nb")
    records_gender = models.BooleanField(
        _("record customers' gender"),
        default=False,
        help_text=_("Off by default: collect only what the organization needs (GDPR)."),
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def subtree_of(self, units: models.QuerySet[OrgUnit] | list[OrgUnit]) -> OrgUnitQuerySet:
        """Units that are, or lie below, any of the given units."""
        query = models.Q(pk__in=[])
        for unit in units:
            query |= models.Q(path__startswith=unit.path)
        return self.filter(query)


class OrgUnit(models.Model):
    """A node in the organization's tree: a service area, a department, an office."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="units", verbose_name=_("organization")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=64)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Oslo", validators=[validate_time_zone]
    )
    language = models.CharField(
        _("default language"), max_length=8, default="nb", choices=language_choices
    )
    # Materialized path of primary keys ("/1/4/9/") so a subtree is one indexed prefix query.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="orgunit_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.name

    def path_ids(self) -> list[int]:
        """The ids of the units from the top down to this one (itself last)."""
        return [int(part) for part in self.path.strip("/").split("/") if part] or [self.pk]

    def ancestors(self) -> list[OrgUnit]:
        ids = self.path_ids()
        by_id = OrgUnit.objects.in_bulk(ids[:-1])
        return [by_id[i] for i in ids[:-1] if i in by_id]

    def is_within(self, other: OrgUnit) -> bool:
        """True when this unit is `other` or lies below it."""
        return self.path.startswith(other.path)
