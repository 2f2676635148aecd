"""Landing pages that marketers build from blocks, and what people submit through them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit


class LandingPage(models.Model):
    """A public page at /p/f/<slug>/ with a form: profile fields, consent boxes, choices.

    `blocks` is the page from top to bottom, each a dict with its "type": heading, text,
    field, consent or choice (see `landing.BLOCKS`)."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owning org unit")
    )
    language = models.CharField(_("language"), max_length=8)
    blocks = models.JSONField(default=list, blank=True)
    thank_you = models.TextField(
        _("after sending"),
        blank=True,
        help_text=_("Shown once the form is sent; a note to confirm by email follows it."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("landing page")
        verbose_name_plural = _("landing pages")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Submission(models.Model):
    """One sending of a landing page's form, as evidence and for the rate limit."""

    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="submissions")
    person = models.ForeignKey(
        "customers.Person", on_delete=models.CASCADE, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    answers = models.JSONField(default=dict)
    created_person = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        indexes = [models.Index(fields=["ip", "submitted_at"], name="submission_ip_time")]

    def __str__(self) -> str:
        return f"{self.page_id} {self.submitted_at:%Y-%m-%d %H:%M}"
