"""Setting up the desk: mailboxes (where customers' mail comes in and which queue it lands
in) and how cases are named."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.channels.models import Mailbox
from luukku.core.access import Perm, require, require_organization_admin, staff, units_where
from luukku.core.models import Organization, User
from luukku.desk.models import DeskSettings, Queue


class MailboxForm(forms.ModelForm[Mailbox]):
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.none(),
        label=gettext_lazy("Queue"),
        help_text=gettext_lazy("New cases from this mailbox land here."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "name",
            "org_unit",
            "acknowledge",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password_env",
            "imap_folder",
            "imap_done_folder",
        ]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managed = units_where(actor, Perm.DESK_MANAGE)
        units: Any = self.fields["org_unit"]
        units.queryset = managed
        queue: Any = self.fields["queue"]
        queue.queryset = Queue.objects.filter(org_unit__in=managed, is_active=True)
        if self.instance.pk:
            queue.initial = Queue.objects.filter(mailbox=self.instance).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        queue, unit = data.get("queue"), data.get("org_unit")
        if (
            queue
            and unit
            and not queue.org_unit.is_within(unit)
            and not unit.is_within(queue.org_unit)
        ):
            self.add_error("queue", _("Choose a queue of the mailbox's org unit."))
        return data


def _managed(actor: User) -> Any:
    return Mailbox.objects.filter(org_unit__in=units_where(actor, Perm.DESK_MANAGE))


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    rows = [
        {"mailbox": m, "queue": Queue.objects.filter(mailbox=m).first()}
        for m in _managed(actor).select_related("org_unit")
    ]
    return render(request, "desk/mailboxes.html", {"rows": rows})


@login_required
def mailbox_edit(request: HttpRequest, mailbox_id: int | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    mailbox = _managed(actor).filter(pk=mailbox_id).first() if mailbox_id else None
    if mailbox_id and mailbox is None:
        return render(request, "desk/not_found.html", status=404)
    form = MailboxForm(request.POST or None, instance=mailbox, actor=actor)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            Queue.objects.filter(mailbox=saved).update(mailbox=None)
            Queue.objects.filter(pk=form.cleaned_data["queue"].pk).update(mailbox=saved)
        messages.success(request, _("Mailbox saved."))
        return redirect("desk:mailboxes")
    return render(request, "desk/mailbox_form.html", {"form": form, "mailbox": mailbox})


class DeskSettingsForm(forms.ModelForm[DeskSettings]):
    class Meta:
        model = DeskSettings
        fields = ["case_prefix", "subject_token"]


@login_required
def desk_settings(request: HttpRequest) -> HttpResponse:
    """How cases are named: the number's prefix and the token replies carry in their
    subject. The whole organization's, so for its administrators."""
    actor = staff(request)
    require_organization_admin(actor)
    organization = actor.organization or Organization.objects.order_by("pk").first()
    assert organization is not None
    current = DeskSettings.objects.filter(organization=organization).first()
    form = DeskSettingsForm(
        request.POST or None, instance=current or DeskSettings(organization=organization)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Desk settings saved."))
        return redirect("desk:settings")
    example = form.instance.subject_token.format(
        number=1042, reference=f"{form.instance.case_prefix}1042"
    )
    return render(request, "desk/settings.html", {"form": form, "example": example})
