"""What a person may be contacted for: purposes, with a versioned text per language."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit


class LawfulBasis(models.TextChoices):
    """GDPR article 6(1): on what ground a purpose's messages are sent."""

    CONSENT = "consent", _("Consent")
    CONTRACT = "contract", _("Contract")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")


class Purpose(models.Model):
    """Something the organization wants to tell people about, e.g. "newsletter from
    Fitness": owned by an org unit, on one lawful basis, over some channels."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owning org unit")
    )
    lawful_basis = models.CharField(
        _("lawful basis"),
        max_length=24,
        choices=LawfulBasis.choices,
        default=LawfulBasis.CONSENT,
        help_text=_(
            "Consent: only those who said yes. Contract or legitimate interest: everyone "
            "concerned unless they objected. Legal obligation: everyone concerned."
        ),
    )
    # Of customers.Channel: email, sms, phone, letter.
    channels = models.JSONField(_("channels"), default=list)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PurposeText(models.Model):
    """What a person is shown when asked, in one language; a change is a new version, so
    the ledger can prove which words someone agreed to."""

    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("purpose text")
        verbose_name_plural = _("purpose texts")
        ordering = ["purpose", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "language", "version"], name="purpose_text_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.language} v{self.version})"
