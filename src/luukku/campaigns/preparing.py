"""A run made ready to send: its content per channel and language compiled once, its
links numbered and kept, and who it is from (the owning unit's mailbox), with the
headers every message of the run shares."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from django.conf import settings
from liquid import BoundTemplate

from luukku.campaigns.blocks import blocks, expand
from luukku.campaigns.content import EmailParts, compose, footer_html
from luukku.campaigns.models import Campaign, Content, Link, Run
from luukku.campaigns.prepared import PreparedEmail, prepare
from luukku.campaigns.variables import EVERYTHING, needs_of, sample_variables
from luukku.channels.email import bulk
from luukku.channels.models import Mailbox, SmsSender
from luukku.core.templating import strict

DKIM_HEADERS = [
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"feedback-id",
]


@dataclass
class Prepared:
    from_header: str
    sender_name: str
    sender_domain: str
    bounce_domain: str
    feedback_id: str
    # By (language, variant): "" for the content, "b" for an A/B test's second variant.
    emails: dict[tuple[str, str], PreparedEmail] = field(default_factory=dict)
    sms: dict[tuple[str, str], BoundTemplate] = field(default_factory=dict)
    dkim: Callable[[bytes], bytes] | None = None
    needs: frozenset[str] = EVERYTHING
    sms_sender: str = ""

    def email_for(self, language: str, variant: str) -> PreparedEmail | None:
        """The variant's email, or the content's where the variant has none in the language."""
        return self.emails.get((language, variant)) or self.emails.get((language, ""))

    def sms_for(self, language: str, variant: str) -> BoundTemplate | None:
        return self.sms.get((language, variant)) or self.sms.get((language, ""))


def sender_of(campaign: Campaign) -> tuple[str, str]:
    """(name, address) the campaign is sent from: its unit's mailbox, else the default."""
    mailbox = (
        Mailbox.objects.filter(org_unit=campaign.org_unit, is_active=True).order_by("pk").first()
    )
    if mailbox is not None:
        return mailbox.name, mailbox.address
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or campaign.org_unit.name, address


def standard_footer(campaign: Campaign, language: str) -> str:
    """The footer an email of the campaign gets without an unsubscribe link of its own."""
    name, address = sender_of(campaign)
    return footer_html(f"{name} <{address}>", language)


def compose_content(content: Content, variables: Mapping[str, Any]) -> EmailParts:
    """A saved email content as a recipient with these variables gets it (blocks and
    layout set in place, the standard footer where it needs one)."""
    return compose(
        subject=content.subject,
        body=expand(content.body),
        body_format=content.body_format,
        variables=variables,
        footer=standard_footer(content.campaign, content.language),
    )


@functools.cache
def _dkim_key(path: str) -> bytes:
    return Path(path).read_bytes()


def dkim_signer() -> Callable[[bytes], bytes] | None:
    """With a key configured, a function that puts a DKIM-Signature on a message."""
    if not settings.LUUKKU_DKIM_KEY_FILE:
        return None
    import dkim

    key = _dkim_key(settings.LUUKKU_DKIM_KEY_FILE)
    selector = settings.LUUKKU_DKIM_SELECTOR.encode()
    domain = settings.LUUKKU_DKIM_DOMAIN.encode()

    def sign(message: bytes) -> bytes:
        signature: bytes = dkim.sign(
            message, selector, domain, key, include_headers=DKIM_HEADERS, linesep=b"\r\n"
        )
        return signature + message

    return sign


def prepared_run(run: Run) -> Prepared:
    campaign = run.campaign
    name, address = sender_of(campaign)
    domain = address.rpartition("@")[2] or "localhost"
    prepared = Prepared(
        from_header=bulk.address(name, address),
        sender_name=name,
        sender_domain=domain,
        bounce_domain=settings.LUUKKU_BOUNCE_DOMAIN or domain,
        feedback_id=f"{campaign.pk}:{run.pk}:{campaign.org_unit.slug}:luukku",
        dkim=dkim_signer(),
        sms_sender=SmsSender.for_unit(campaign.org_unit),
    )
    sample = sample_variables()
    known = blocks()
    for content in campaign.contents.all():
        key = (content.language, content.variant)
        body = expand(content.body, known)
        if content.channel == "sms":
            prepared.sms[key] = strict.from_string(body)
            continue
        prepared.emails[key] = prepare(
            subject=content.subject,
            body=body,
            body_format=content.body_format,
            sender=f"{name} <{address}>",
            language=content.language,
            sample=sample,
        )
    prepared.needs = needs_of(
        [*prepared.sms.values(), *(t for e in prepared.emails.values() for t in e.templates())]
    )
    return prepared


def keep_links(run: Run, prepared: Prepared) -> None:
    """The run's numbered links, for the click redirect (idempotent)."""
    Link.objects.bulk_create(
        [
            Link(run=run, language=language, variant=variant, position=position, url=url)
            for (language, variant), email in prepared.emails.items()
            for position, url in enumerate(email.links)
        ],
        ignore_conflicts=True,
    )
