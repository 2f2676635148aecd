from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit
from luukku.customers.models.parties import Sensitivity


class RelationshipType(models.Model):
    """A kind of tie, named from each side: "guardian of" / "child of"."""

    class Target(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANIZATION = "organization", _("Organization")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    label = models.CharField(_("label from the person"), max_length=100)
    reverse_label = models.CharField(_("label from the other side"), max_length=100)
    target = models.CharField(_("relates a person to"), max_length=16, choices=Target.choices)

    class Meta:
        verbose_name = _("relationship type")
        verbose_name_plural = _("relationship types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label


class RelationshipQuerySet(models.QuerySet["Relationship"]):
    def valid_on(self, day: datetime.date) -> RelationshipQuerySet:
        """Those in force on `day` (an open start or end counts as always)."""
        return self.exclude(valid_to__lt=day).exclude(valid_from__gt=day)


class Relationship(models.Model):
    type = models.ForeignKey(
        RelationshipType,
        on_delete=models.PROTECT,
        related_name="relationships",
        verbose_name=_("type"),
    )
    person = models.ForeignKey(
        "customers.Person",
        on_delete=models.CASCADE,
        related_name="relationships",
        verbose_name=_("person"),
    )
    other_person = models.ForeignKey(
        "customers.Person",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reverse_relationships",
        verbose_name=_("other person"),
    )
    other_organization = models.ForeignKey(
        "customers.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="relationships",
        verbose_name=_("organization"),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=64, default="luukku")
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(other_person__isnull=False, other_organization__isnull=True)
                | models.Q(other_person__isnull=True, other_organization__isnull=False),
                name="relationship_one_target",
                violation_error_message=_("Relate to either a person or an organization."),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="relationship_ordered_dates",
                violation_error_message=_("A relationship cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.type.label} {self.other_person or self.other_organization}"
