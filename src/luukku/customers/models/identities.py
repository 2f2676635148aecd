from __future__ import annotations

from urllib.parse import quote

from django.db import models
from django.utils.translation import gettext_lazy as _

# Luukku's own staff edits outrank every source system unless one is set higher.
MANUAL_PRIORITY = 1000


class SourceSystem(models.Model):
    """A system customer data comes from: student administration, LMS, finance, housing."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    priority = models.IntegerField(
        _("priority"),
        default=100,
        help_text=_(
            "A source may overwrite a value only if its priority is at least that of the source "
            "that set it. Edits made in Luukku count as %(manual)s."
        )
        % {"manual": MANUAL_PRIORITY},
    )
    allowed_fields = models.JSONField(
        _("fields it may set"),
        default=list,
        blank=True,
        help_text=_(
            "Field names this source may set (e.g. first_name, emails, phones, addresses, "
            "custom.student_status); empty means all."
        ),
    )
    deep_link = models.CharField(
        _("deep link"),
        max_length=500,
        blank=True,
        help_text=_(
            "Link to a record in the source, with {external_id}, e.g. https://sis.example.org/students/{external_id}"
        ),
    )

    class Meta:
        verbose_name = _("source system")
        verbose_name_plural = _("source systems")
        ordering = ["-priority", "code"]

    def __str__(self) -> str:
        return self.name

    def may_set(self, field: str) -> bool:
        return not self.allowed_fields or field in self.allowed_fields

    def link_for(self, external_id: str) -> str:

        return (
            self.deep_link.replace("{external_id}", quote(external_id, safe=""))
            if self.deep_link
            else ""
        )


class ExternalIdentity(models.Model):
    """This person or organization is record `external_id` in `source`."""

    source = models.ForeignKey(
        SourceSystem,
        on_delete=models.PROTECT,
        related_name="identities",
        verbose_name=_("source"),
        db_index=False,  # the unique (source, external_id) index serves it
    )
    external_id = models.CharField(_("external id"), max_length=200)
    person = models.ForeignKey(
        "customers.Person",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identities",
    )
    organization = models.ForeignKey(
        "customers.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identities",
    )
    payload = models.JSONField(_("last payload received"), default=dict, blank=True)
    last_received_at = models.DateTimeField(_("last received"), auto_now=True)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                name="identity_unique_per_source",
                violation_error_message=_("This external id is already used in this source."),
            ),
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, organization__isnull=True)
                | models.Q(person__isnull=True, organization__isnull=False),
                name="identity_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.code}:{self.external_id}"
