"""Consent's jobs: the double opt-in confirmation mail."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from luukku.consent import links
from luukku.consent.models import Action, ConsentRecord
from luukku.consent.services import language_of, sender
from luukku.core.jobs import job


@job(max_attempts=6, backoff_base=30.0)
def send_confirmation(request_id: int) -> str:
    """Mail the link that confirms a consent request, in the person's language."""
    asked = (
        ConsentRecord.objects.select_related("person", "purpose", "text")
        .filter(pk=request_id, action=Action.REQUESTED)
        .first()
    )
    if asked is None or asked.confirmed_by.exists():
        return "nothing to send"
    to = str(asked.evidence.get("confirmation_to") or "")
    if not to:
        return "no address"
    context = {
        "purpose": asked.purpose,
        "text": asked.text,
        "link": links.confirmation_link(asked),
        "days": links.CONFIRM_FOR.days,
        "organization": sender(),
    }
    with translation.override(language_of(asked.person) or settings.LANGUAGE_CODE):
        subject = render_to_string("consent/email/confirm_subject.txt", context).strip()
        body = render_to_string("consent/email/confirm.txt", context)
    EmailMultiAlternatives(subject=subject, body=body, to=[to]).send()
    return "sent"
