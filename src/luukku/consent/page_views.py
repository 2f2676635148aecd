"""Building landing pages: settings, blocks added, changed, moved and removed, a preview
as the public will see it, and publishing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luukku.consent import pages
from luukku.consent.landing import PROFILE_FIELDS, LandingForm, custom_field
from luukku.consent.models import LandingPage, Purpose
from luukku.core.access import Perm, require, staff, units_where
from luukku.core.actions.audit import audit_channel
from luukku.core.models import User
from luukku.customers.models import CustomField
from luukku.customers.models.parties import Channel


class PageForm(forms.ModelForm[LandingPage]):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = LandingPage
        fields = ["title", "slug", "org_unit", "language", "thank_you"]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_unit: Any = self.fields["org_unit"]
        org_unit.queryset = units


BLOCK_LABELS = {
    "heading": gettext_lazy("Heading"),
    "text": gettext_lazy("Text"),
    "field": gettext_lazy("Profile field"),
    "consent": gettext_lazy("Consent box"),
    "choice": gettext_lazy("Choice"),
}


def _field_choices() -> list[tuple[str, Any]]:
    custom = [
        (f"custom:{f.key}", f.label)
        for f in CustomField.objects.filter(entity=CustomField.Entity.PERSON).order_by("label")
        if custom_field(f.key) is not None
    ]
    return [*PROFILE_FIELDS.items(), *custom]


class BlockForm(forms.Form):
    """Every block's settings in one form; each kind of block reads its own."""

    type = forms.ChoiceField(label=gettext_lazy("Kind"), choices=list(BLOCK_LABELS.items()))
    text = forms.CharField(
        label=gettext_lazy("Text"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field = forms.ChoiceField(label=gettext_lazy("Field"), required=False)
    label = forms.CharField(label=gettext_lazy("Label"), required=False, max_length=200)
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), required=False)
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: all the purpose's channels."),
    )
    name = forms.CharField(label=gettext_lazy("Short name"), required=False, max_length=40)
    options = forms.CharField(
        label=gettext_lazy("Options, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    multiple = forms.BooleanField(label=gettext_lazy("Several may be chosen"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["field"]
        field.choices = [("", "—"), *_field_choices()]
        purpose: Any = self.fields["purpose"]
        purpose.choices = [("", "—")] + [
            (p.slug, p.name) for p in Purpose.objects.filter(is_active=True).order_by("name")
        ]

    def block(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["type"]
        if kind in ("heading", "text"):
            return {"type": kind, "text": data["text"].strip()}
        if kind == "field":
            return {
                "type": kind,
                "field": data["field"],
                "label": data["label"],
                "required": data["required"],
            }
        if kind == "consent":
            return {
                "type": kind,
                "purpose": data["purpose"],
                "channels": data["channels"],
                "required": data["required"],
            }
        options = [line.strip() for line in data["options"].splitlines() if line.strip()]
        return {
            "type": kind,
            "name": data["name"].strip(),
            "label": data["label"],
            "options": options,
            "multiple": data["multiple"],
            "required": data["required"],
        }


def _pages_of(actor: User) -> Any:
    return LandingPage.objects.filter(org_unit__in=units_where(actor, Perm.CONSENT_MANAGE))


def _page_for(actor: User, page_id: int) -> LandingPage:
    """A page of the units the actor builds pages for (404 otherwise)."""
    require(actor, Perm.CONSENT_MANAGE)
    page = _pages_of(actor).filter(pk=page_id).first()
    if page is None:
        raise Http404(_("No such landing page."))
    return page


@login_required
def page_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CONSENT_MANAGE)
    rows = _pages_of(actor).select_related("org_unit").annotate(sent=Count("submissions"))
    return render(request, "consent/pages.html", {"pages": rows})


@login_required
def page_edit(request: HttpRequest, page_id: int | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CONSENT_MANAGE)
    units = units_where(actor, Perm.CONSENT_MANAGE)
    page = None
    if page_id is not None:
        page = _pages_of(actor).filter(pk=page_id).first()
        if page is None:
            return render(request, "consent/not_found.html", status=404)
    form = PageForm(request.POST or None, instance=page, units=units)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if page is None:
            saved.created_by = actor
        with audit_channel("web"):
            pages.save_page(saved, by=actor)
        messages.success(request, _("Saved."))
        return redirect("consent:page_edit", page_id=saved.pk)
    blocks = []
    if page is not None:
        for index, block in enumerate(page.blocks):
            blocks.append(
                {
                    "index": index,
                    "block": block,
                    "form": BlockForm(initial=_initial(block), prefix=f"b{index}"),
                }
            )
    context = {
        "page": page,
        "form": form,
        "blocks": blocks,
        "new_block": BlockForm(prefix="new"),
        "kinds": BLOCK_LABELS,
    }
    return render(request, "consent/page_form.html", context)


def _initial(block: dict[str, Any]) -> dict[str, Any]:
    initial = dict(block)
    if "options" in block:
        initial["options"] = "\n".join(block["options"])
    return initial


@login_required
@require_POST
def block_change(request: HttpRequest, page_id: int) -> HttpResponse:
    """Add, change, move or remove one block; the page as a whole must still work."""
    actor = staff(request)
    page = _page_for(actor, page_id)
    blocks = [dict(b) for b in page.blocks]
    action = request.POST.get("action", "")
    index = int(request.POST.get("index", "-1") or -1)
    if action in ("add", "update"):
        prefix = "new" if action == "add" else f"b{index}"
        form = BlockForm(request.POST, prefix=prefix)
        if not form.is_valid():
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                for error in errors:
                    messages.error(
                        request,
                        _("The block was not saved: %(field)s: %(error)s")
                        % {"field": label, "error": error},
                    )
            return redirect("consent:page_edit", page_id=page.pk)
        if action == "add":
            blocks.append(form.block())
        elif 0 <= index < len(blocks):
            blocks[index] = form.block()
    elif action == "remove" and 0 <= index < len(blocks):
        blocks.pop(index)
    elif action in ("up", "down") and 0 <= index < len(blocks):
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(blocks):
            blocks[index], blocks[other] = blocks[other], blocks[index]
    try:
        with audit_channel("web"):
            pages.set_blocks(page, blocks, by=actor)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("Saved."))
    return redirect("consent:page_edit", page_id=page.pk)


@login_required
def page_preview(request: HttpRequest, page_id: int) -> HttpResponse:
    """The page as the public will see it, published or not; sending is off."""
    actor = staff(request)
    page = _page_for(actor, page_id)
    with translation.override(page.language):
        try:
            form: LandingForm | None = LandingForm(page_blocks=page.blocks, language=page.language)
        except (KeyError, Purpose.DoesNotExist):
            form = None
        return render(
            request, "consent/landing_page.html", {"page": page, "form": form, "preview": True}
        )


@login_required
@require_POST
def page_publish(request: HttpRequest, page_id: int) -> HttpResponse:
    actor = staff(request)
    page = _page_for(actor, page_id)
    on = request.POST.get("publish") == "on"
    try:
        with audit_channel("web"):
            pages.publish(page, on=on, by=actor)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("Published.") if on else _("Taken down."))
    return redirect("consent:page_edit", page_id=page.pk)
