"""Skills: what an agent can do (a field, a language), and what a case needs."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Skill(models.Model):
    """A skill, e.g. "Tenancy law" or "Finnish"; a language skill names its language,
    and then a case whose customer speaks that language needs it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        help_text=_("For a language skill: the language code, e.g. fi, sv, nb, en."),
    )
    categories = models.ManyToManyField(
        "desk.Category",
        blank=True,
        related_name="required_skills",
        verbose_name=_("needed by the categories"),
        help_text=_("A case of these categories (or below them) needs this skill."),
    )

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentSkill(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agents")
    level = models.PositiveSmallIntegerField(
        _("level"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="agent_skill_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.skill_id} {self.level}"
