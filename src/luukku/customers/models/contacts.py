from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactPoint(models.Model):
    """One way to reach a person or organization. Exactly one of the two owners is set."""

    class Kind(models.TextChoices):
        HOME = "home", _("Home")
        WORK = "work", _("Work")
        MOBILE = "mobile", _("Mobile")
        OTHER = "other", _("Other")

    person = models.ForeignKey(
        "customers.Person",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="%(class)ss",
    )
    organization = models.ForeignKey(
        "customers.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="%(class)ss",
    )
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    is_primary = models.BooleanField(_("primary"), default=False)
    is_verified = models.BooleanField(_("verified"), default=False)
    source = models.CharField(_("source"), max_length=64, default="luukku")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, organization__isnull=True)
                | models.Q(person__isnull=True, organization__isnull=False),
                name="%(class)s_one_owner",
            ),
        ]


class EmailAddress(ContactPoint):
    # Normalized: the domain lowercased (email-validator); compared case-insensitively.
    address = models.CharField(_("email address"), max_length=254)
    address_lower = models.CharField(max_length=254, db_index=True, editable=False)
    # Set when mail to the address came back for good (a delivery status notification).
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)

    class Meta(ContactPoint.Meta):
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")
        ordering = ["-is_primary", "pk"]

    def __str__(self) -> str:
        return self.address


class PhoneNumber(ContactPoint):
    number = models.CharField(_("phone number"), max_length=20, help_text="E.164")

    class Meta(ContactPoint.Meta):
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["-is_primary", "pk"]
        # Numbers are found by equality only: no second, pattern index (as db_index makes).
        indexes = [models.Index(fields=["number"], name="phonenumber_number")]

    def __str__(self) -> str:
        return self.number


class PostalAddress(ContactPoint):
    street = models.CharField(_("street address"), max_length=300)
    postal_code = models.CharField(_("postal code"), max_length=16, db_index=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="NO")

    class Meta(ContactPoint.Meta):
        verbose_name = _("postal address")
        verbose_name_plural = _("postal addresses")
        ordering = ["-is_primary", "pk"]

    def __str__(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"
