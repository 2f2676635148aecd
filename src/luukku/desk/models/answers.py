"""Standard answers: reusable replies with merge fields, per org unit and language."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit


class StandardAnswer(models.Model):
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Liquid: {{ customer.first_name }}, {{ case.number }}, {{ case.subject }}, "
            "{{ agent.first_name }}, {{ agent.name }}; "
            '{{ customer.first_name | default: "there" }} for a missing value.'
        ),
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("Offered on the cases of this unit and the units below it."),
    )
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("Empty: for every language.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("standard answer")
        verbose_name_plural = _("standard answers")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
