from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit


class Sensitivity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    RESTRICTED = "restricted", _("Restricted to its org unit")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")


class Party(models.Model):
    """What persons and organizations share: ownership, visibility, provenance, custom fields."""

    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("The unit the record came from; matters when it is restricted."),
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    # {"field": {"source": "sis", "at": "2026-11-27T10:00:00+00:00"}}: who set each value, when.
    field_sources = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


# PostgreSQL-only indexes (trigram name search, JSONB custom fields) are created in
# migration 0002, which leaves the embedded SQLite default without them.


class Person(Party):
    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Not told")

    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    # Kept in step with the names for ranking and trigram search.
    # Searched through expression indexes on UPPER(full_name) (migrations 0004, 0006).
    full_name = models.CharField(max_length=301, editable=False, default="")
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="person_sort_name"),
            # Batches that find persons by identity check visibility here, not in the table.
            models.Index(
                fields=["id"],
                name="person_restricted",
                condition=models.Q(sensitivity="restricted"),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.full_name = f"{self.first_name} {self.last_name}".strip()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "full_name"}
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Delete the person with their timeline, waiting for event batches in flight
        (the timeline has no foreign key to persons: ADR 0008)."""
        from luukku.customers.models.timeline import hold_timeline

        with transaction.atomic():
            hold_timeline(exclusive=True)
            return super().delete(*args, **kwargs)


class Organization(Party):
    """A customer organization: a company, school, agency or association."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        SCHOOL = "school", _("School")
        AGENCY = "agency", _("Public agency")
        ASSOCIATION = "association", _("Association")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPANY)
    registration_number = models.CharField(
        _("registration number"),
        max_length=32,
        blank=True,
        db_index=True,
        help_text=_("Business ID, e.g. Norwegian organisasjonsnummer or Finnish Y-tunnus."),
    )
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name
