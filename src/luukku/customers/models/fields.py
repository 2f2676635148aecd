from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit
from luukku.customers.models.parties import Sensitivity


class CustomField(models.Model):
    """A field administrators add to persons or organizations; values live in `custom`."""

    class Entity(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANIZATION = "organization", _("Organization")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes/no")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multi_choice", _("Several choices")

    entity = models.CharField(_("for"), max_length=16, choices=Entity.choices)
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("label"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("Allowed values for choice fields.")
    )
    required = models.BooleanField(_("required"), default=False)
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    pattern = models.CharField(_("pattern (regular expression)"), max_length=200, blank=True)
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
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="custom_field_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label
