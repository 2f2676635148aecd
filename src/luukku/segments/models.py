"""Segments, who is in them, and how many were over time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit


class Segment(models.Model):
    """A target group. A dynamic segment keeps its members true to its rule as people
    change; a static one is a frozen list (from a rule at one moment, or an import)."""

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", _("Dynamic: keeps itself up to date")
        STATIC = "static", _("Static: a frozen list")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owning org unit")
    )
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DYNAMIC)
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    # What the rule reads ("person", "consent", "case", "relationship", "event:<type>",
    # "segment:<id>", "time"): which changes may move someone in or out.
    depends_on = models.JSONField(default=list, blank=True, editable=False)
    is_active = models.BooleanField(_("in use"), default=True)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    evaluated_at = models.DateTimeField(_("last full evaluation"), null=True, blank=True)
    evaluation_ms = models.PositiveIntegerField(_("its duration (ms)"), null=True, blank=True)
    changed_at = models.DateTimeField(_("last change of members"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person in a segment, since when."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        "customers.Person", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    since = models.DateTimeField()

    class Meta:
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")
        constraints = [
            models.UniqueConstraint(fields=["segment", "person"], name="segment_member_once"),
        ]
        indexes = [models.Index(fields=["person", "segment"], name="membership_person")]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.person_id}"


class SegmentCount(models.Model):
    """The member count at a moment: a segment's size over time."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="counts")
    at = models.DateTimeField()
    members = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("segment count")
        verbose_name_plural = _("segment counts")
        ordering = ["segment", "at"]
        indexes = [models.Index(fields=["segment", "at"], name="segment_count_time")]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.at:%Y-%m-%d %H:%M} {self.members}"
