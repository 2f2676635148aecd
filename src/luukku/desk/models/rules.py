"""Routing rules: ordered conditions on a new or changed case, and what to do then."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit


class RoutingRule(models.Model):
    """When a case of the unit (or below) meets the conditions, take the actions.

    `conditions` is a list of {"field", "op", "value"} (desk/rules.py names the fields
    and operators); `actions` maps an action to its value: `queue` (a queue's short
    name), `priority`, `category` (id), `tags` (names), `sla_policy` (id),
    `assign_user` (username), `assign_team` (id), `answer` (a standard answer's id).
    Rules run in order; a later rule's action wins over an earlier one's, tags add up,
    and a rule that stops ends the run.
    """

    class Trigger(models.TextChoices):
        CREATED = "created", _("When a case is created")
        UPDATED = "updated", _("When a case is changed")
        BOTH = "both", _("Both")

    class Match(models.TextChoices):
        ALL = "all", _("All conditions")
        ANY = "any", _("Any condition")

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("org unit")
    )
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=False)
    trigger = models.CharField(
        _("runs"), max_length=8, choices=Trigger.choices, default=Trigger.CREATED
    )
    match = models.CharField(_("matches on"), max_length=4, choices=Match.choices, default="all")
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=dict, blank=True)
    stop = models.BooleanField(_("stop after this rule"), default=False)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name
