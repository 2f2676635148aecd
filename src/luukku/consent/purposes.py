"""Keeping purposes and their texts: a purpose is changed in place, a text never is (a new
wording is a new version, so the ledger keeps pointing at the words people saw)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from luukku.consent.models import Purpose, PurposeText
from luukku.core.actions import audit
from luukku.core.models import AuditEntry, User
from luukku.customers.models.parties import Channel

PURPOSE_FIELDS = ("name", "slug", "org_unit_id", "lawful_basis", "channels", "is_active")


@transaction.atomic
def save_purpose(purpose: Purpose, *, by: User | None) -> Purpose:
    unknown = [c for c in purpose.channels if c not in Channel.values]
    if unknown:
        raise ValidationError(_("Unknown channels: %(names)s") % {"names": ", ".join(unknown)})
    if not purpose.channels:
        raise ValidationError(_("Choose at least one channel."))
    created = purpose.pk is None
    before = {} if created else audit.snapshot(Purpose.objects.get(pk=purpose.pk), PURPOSE_FIELDS)
    purpose.full_clean()
    purpose.save()
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=purpose,
        org_unit=purpose.org_unit,
        changes=audit.diff(before, audit.snapshot(purpose, PURPOSE_FIELDS)),
    )
    return purpose


@transaction.atomic
def publish_text(
    purpose: Purpose, *, language: str, title: str, body: str, by: User | None
) -> PurposeText:
    """A new version of the purpose's text in the language (the same words again: the
    current version, unchanged)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Unknown language: %(code)s") % {"code": language})
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise ValidationError(_("A text needs a title and words."))
    Purpose.objects.select_for_update().get(pk=purpose.pk)  # one new version at a time
    texts = PurposeText.objects.filter(purpose=purpose, language=language)
    current = texts.order_by("-version").first()
    if current is not None and (current.title, current.body) == (title, body):
        return current
    version = (texts.aggregate(v=Max("version"))["v"] or 0) + 1
    text = PurposeText.objects.create(
        purpose=purpose, language=language, version=version, title=title, body=body
    )
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=text,
        org_unit=purpose.org_unit,
        changes={"language": [None, language], "version": [None, version]},
    )
    return text


def current_texts(purpose: Purpose) -> list[PurposeText]:
    """The newest text per language."""
    newest: dict[str, PurposeText] = {}
    for text in purpose.texts.order_by("language", "-version"):
        newest.setdefault(text.language, text)
    return list(newest.values())
