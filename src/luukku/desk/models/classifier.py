"""Auto-classification: a model per org unit, trained on its own resolved cases."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit


class ClassifierVersion(models.Model):
    """One trained model: what it learnt from, how well it did on cases it had not seen,
    and how sure it must be to set a category (or queue) rather than suggest one."""

    class Target(models.TextChoices):
        CATEGORY = "category", _("Category")
        QUEUE = "queue", _("Queue")

    target = models.CharField(
        _("guesses"), max_length=8, choices=Target.choices, default=Target.CATEGORY
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("org unit")
    )
    version = models.PositiveIntegerField(_("version"))
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)
    cases = models.PositiveIntegerField(_("cases learnt from"))
    accuracy = models.FloatField(_("accuracy on unseen cases"))
    labels = models.JSONField(default=list)  # category (or queue) ids, in the model's order
    model = models.BinaryField()  # the scikit-learn pipeline (joblib); written only by us
    is_active = models.BooleanField(_("in use"), default=True)
    threshold = models.FloatField(
        _("act from this confidence"),
        default=0.8,
        help_text=_("Below it, the category or queue is only suggested to the agent."),
    )

    class Meta:
        verbose_name = _("classifier version")
        verbose_name_plural = _("classifier versions")
        ordering = ["org_unit", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "target", "version"], name="classifier_target_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} v{self.version}"
