"""Keeping campaigns: content checked before it is saved, and the pre-flight report: who
the audience is and who of them would not get it, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from luukku.campaigns.content import Format, compose
from luukku.campaigns.models import Campaign, Content
from luukku.campaigns.variables import sample_variables
from luukku.core.templating import TemplateProblem, check
from luukku.customers.models import Person
from luukku.segments.compiler import contactable, reachable, scope_of
from luukku.segments.models import Membership

LABELS = {"subject": _lazy("subject"), "body": _lazy("body")}


@transaction.atomic
def save_content(content: Content) -> Content:
    """Refuse content that cannot be sent, with the part, the line and the reason."""
    if content.channel not in ("email", "sms"):
        raise ValidationError(_("Unknown channel: %(channel)s") % {"channel": content.channel})
    if content.language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Unknown language: %(code)s") % {"code": content.language})
    sample = sample_variables()
    problems = []
    parts = [("body", content.body)]
    if content.channel == "email":
        parts.insert(0, ("subject", content.subject))
        if not content.subject.strip():
            problems.append(_("An email needs a subject."))
    for name, source in parts:
        try:
            check(source, sample)
        except TemplateProblem as problem:
            problems.append(f"{LABELS[name]}: {problem}")
    if not problems and content.channel == "email":
        try:
            compose(
                subject=content.subject,
                body=content.body,
                body_format=content.body_format or Format.MJML,
                variables=sample,
            )
        except TemplateProblem as problem:
            problems.append(str(problem))
    if problems:
        raise ValidationError(problems)
    content.full_clean()
    content.save()
    return content


@dataclass
class Preflight:
    """The audience, and how many of them would not get the campaign, by reason."""

    audience: int = 0
    excluded_by_segment: int = 0
    no_consent: int = 0
    no_address: int = 0
    will_get: int = 0
    problems: list[str] = field(default_factory=list)


def audience(campaign: Campaign) -> Q:
    """Members of any of the campaign's segments, less members of the excluded ones."""
    chosen = Membership.objects.filter(segment__in=campaign.segments.all()).values("person_id")
    return Q(pk__in=chosen)


def preflight(campaign: Campaign) -> Preflight:
    """Counted in SQL, for the channel the campaign sends on first (email, or SMS)."""
    report = Preflight()
    if campaign.purpose is None:
        report.problems.append(_("Choose the purpose the campaign is sent for."))
    if not campaign.segments.exists():
        report.problems.append(_("Choose at least one segment to send to."))
    if report.problems:
        return report
    assert campaign.purpose is not None
    channel = "sms" if campaign.channels == Campaign.Channels.SMS else "email"
    scope = scope_of(campaign.org_unit)
    everyone = Person.objects.filter(scope.visible(), audience(campaign))
    report.audience = everyone.count()
    excluded = Membership.objects.filter(segment__in=campaign.excluded_segments.all())
    left = everyone.exclude(pk__in=excluded.values("person_id"))
    report.excluded_by_segment = report.audience - left.count()
    with_address = left.filter(reachable(channel))
    report.no_address = left.count() - with_address.count()
    report.will_get = with_address.filter(contactable(campaign.purpose, channel)).count()
    report.no_consent = (
        report.audience - report.excluded_by_segment - report.no_address - report.will_get
    )
    if report.audience == 0:
        report.problems.append(_("The audience is empty."))
    return report
