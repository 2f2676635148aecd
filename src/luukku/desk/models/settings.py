"""How an organization's desk names its cases."""

from __future__ import annotations

import re
import string
import time

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import Organization, OrgUnit

DEFAULT_SUBJECT_TOKEN = "[#{number}]"  # noqa: S105 (a subject's case token, no secret)
_PLACEHOLDERS = {"number", "reference"}
_CACHE_SECONDS = 30.0  # a changed setting reaches every process within this time
_cache: dict[int, tuple[float, DeskSettings]] = {}
_unit_organizations: dict[int, int] = {}  # org units do not move between organizations


def validate_subject_token(value: str) -> None:
    """One {number} or {reference}, with something around it that digits in an ordinary
    subject ("Room 12") do not have."""
    try:
        fields = [name for _text, name, _spec, _conv in string.Formatter().parse(value) if name]
    except ValueError:
        raise ValidationError(_("Braces must pair up, as in [#{number}].")) from None
    if "{{" in value or "}}" in value:
        raise ValidationError(_("Braces must pair up, as in [#{number}]."))
    if len(fields) != 1 or fields[0] not in _PLACEHOLDERS:
        raise ValidationError(_("Use {number} or {reference} exactly once, as in [#{number}]."))
    before, _sep, after = value.partition("{" + fields[0] + "}")
    if not before.strip() or not after.strip() or re.search(r"[\r\n]", value):
        raise ValidationError(
            _("Put marks before and after the number, as in [#{number}] or (Case {number}).")
        )


class DeskSettings(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    case_prefix = models.CharField(
        _("case number prefix"),
        max_length=12,
        blank=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9-]*$", _("Letters, digits and hyphens only.")),
        ],
        help_text=_('Shown before every case number: "SAK-" makes case 1042 SAK-1042.'),
    )
    subject_token = models.CharField(
        _("case token in subjects"),
        max_length=40,
        default=DEFAULT_SUBJECT_TOKEN,
        validators=[validate_subject_token],
        help_text=_(
            "How replies name their case in the subject: {number} is the case number, "
            "{reference} the number with its prefix. Answers carrying the default "
            "[#1042] are recognized as well."
        ),
    )

    class Meta:
        verbose_name = _("desk settings")
        verbose_name_plural = _("desk settings")

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.case_prefix}{self.subject_token}"

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        _cache.clear()

    @classmethod
    def of_unit(cls, org_unit_id: int) -> DeskSettings:
        """The settings of the organization the unit belongs to."""
        if org_unit_id not in _unit_organizations:
            _unit_organizations.update(OrgUnit.objects.values_list("pk", "organization_id"))
        return cls.of(_unit_organizations[org_unit_id])

    @classmethod
    def of(cls, organization_id: int) -> DeskSettings:
        """The organization's settings (defaults when never saved), cached briefly."""
        now = time.monotonic()
        cached = _cache.get(organization_id)
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        found: DeskSettings = cls.objects.filter(organization_id=organization_id).first() or cls(
            organization_id=organization_id
        )
        _cache[organization_id] = (now, found)
        return found
