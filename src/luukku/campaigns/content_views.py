"""The content editor's live preview: a marketer writes the subject, the body (MJML or
HTML) and the SMS text, picks a customer, and sees exactly what that customer would
get, the text part and the SMS length, as they type. Problems are named with their line
before anything can be sent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.campaigns.access import campaign_for_actor, visible_audience
from luukku.campaigns.blocks import expand
from luukku.campaigns.content import Format, compose
from luukku.campaigns.models import Campaign, Content
from luukku.campaigns.preparing import standard_footer
from luukku.campaigns.services import save_content
from luukku.campaigns.variables import person_variables, sample_variables
from luukku.channels.sms.length import measure
from luukku.core.access import Perm, require, staff
from luukku.core.models import User
from luukku.core.templating import TemplateProblem, check
from luukku.core.templating import render as render_liquid
from luukku.customers import access as customer_access
from luukku.customers.actions.parties import record_profile_view

STARTER = """<mjml>
  <mj-body>
    <mj-section><mj-column>
      <mj-text font-size="20px">Hei {{ person.first_name | default: "there" }}!</mj-text>
      <mj-text>…</mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>"""


class ContentForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300, required=False)
    body_format = forms.ChoiceField(
        label=gettext_lazy("Body written in"),
        choices=[(Format.MJML, "MJML"), (Format.HTML, "HTML")],
        initial=Format.MJML,
    )
    body = forms.CharField(
        label=gettext_lazy("Body"),
        required=False,
        initial=STARTER,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "code"}),
    )
    sms = forms.CharField(
        label=gettext_lazy("SMS text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    person = forms.IntegerField(
        label=gettext_lazy("Preview for customer number"), required=False, min_value=1
    )


def _preview(actor: User, data: dict[str, Any], *, footer: str = "") -> dict[str, Any]:
    """Problems against every variable there is, then the content for the chosen person
    (with the standard `footer` where the body has no unsubscribe link of its own)."""
    problems: list[str] = []
    try:
        data = {**data, "body": expand(data["body"] or ""), "sms": expand(data["sms"] or "")}
    except TemplateProblem as problem:
        return {
            "problems": [str(problem)],
            "email": None,
            "sms_text": "",
            "sms_length": None,
            "person": None,
            "asked_person": data.get("person"),
        }
    sample = sample_variables()
    for name, source in (
        ("subject", data["subject"]),
        ("body", data["body"]),
        ("sms", data["sms"]),
    ):
        try:
            check(source or "", sample)
        except TemplateProblem as problem:
            problems.append(f"{ContentForm.base_fields[name].label}: {problem}")
    person = None
    if data.get("person"):
        person = customer_access.persons_visible_to(actor).filter(pk=data["person"]).first()
    variables = person_variables(person) if person is not None else sample
    if person is not None:
        record_profile_view(actor=actor, party=person, via="web")
    email, sms_text = None, ""
    if not problems:
        try:
            email = compose(
                subject=data["subject"] or "",
                body=data["body"] or "",
                body_format=data["body_format"],
                variables=variables,
                footer=footer,
            )
            sms_text = render_liquid(data["sms"] or "", variables)
        except TemplateProblem as problem:
            problems.append(str(problem))
    return {
        "problems": problems,
        "email": email,
        "sms_text": sms_text,
        "sms_length": measure(sms_text) if sms_text else None,
        "person": person,
        "asked_person": data.get("person"),
    }


@login_required
def content_preview(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    form = ContentForm(request.POST or None)
    preview = (
        _preview(actor, form.cleaned_data) if request.method == "POST" and form.is_valid() else None
    )
    if request.headers.get("HX-Request") and preview is not None:
        return render(request, "campaigns/_preview.html", preview)
    return render(request, "campaigns/preview.html", {"form": form, "preview": preview})


class CampaignContentForm(forms.Form):
    """One channel's content in one language, with the customer to preview it for."""

    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300, required=False)
    body_format = forms.ChoiceField(
        label=gettext_lazy("Body written in"),
        choices=[(Format.MJML, "MJML"), (Format.HTML, "HTML")],
        initial=Format.MJML,
        required=False,
    )
    body = forms.CharField(
        label=gettext_lazy("Body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "code"}),
    )
    person = forms.IntegerField(
        label=gettext_lazy("Preview for customer number"), required=False, min_value=1
    )

    def __init__(self, *args: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if channel == "sms":
            del self.fields["subject"], self.fields["body_format"]
            self.fields["body"].label = gettext_lazy("SMS text")
            self.fields["body"].widget.attrs["rows"] = 4


def _as_preview_data(channel: str, cleaned: dict[str, Any]) -> dict[str, Any]:
    data = {"subject": "", "body_format": Format.MJML, **cleaned}
    data["body_format"] = data["body_format"] or Format.MJML
    if channel == "sms":
        return {**data, "sms": data["body"], "body": "", "subject": ""}
    return {**data, "sms": ""}


def _save(
    campaign: Campaign, content: Content, data: dict[str, Any], body: str
) -> list[str] | None:
    """The content saved, or what is wrong with it."""
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        return [_("The campaign is being sent or was sent: its content stays as it went.")]
    content.subject = data["subject"] or ""
    content.body_format = data["body_format"]
    content.body = body
    try:
        save_content(content)
    except ValidationError as error:
        return list(error.messages)
    return None


@login_required
def content_edit(
    request: HttpRequest, pk: int, channel: str, language: str, variant: str = ""
) -> HttpResponse:
    """Write a campaign's content for a channel and language, previewed as it is written
    for any customer of the audience; saved only without problems."""
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    campaign = campaign_for_actor(actor, pk)
    if channel not in ("email", "sms") or language not in dict(settings.LANGUAGES):
        raise Http404(_("No such content."))
    content = campaign.contents.filter(
        channel=channel, language=language, variant=variant
    ).first() or Content(
        campaign=campaign,
        channel=channel,
        language=language,
        body=STARTER if channel == "email" else "",
    )
    initial = {
        "subject": content.subject,
        "body_format": content.body_format,
        "body": content.body,
        "person": request.GET.get("person", ""),
    }
    form = CampaignContentForm(request.POST or None, initial=initial, channel=channel)
    footer = standard_footer(campaign, language)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = _as_preview_data(channel, form.cleaned_data)
        preview = _preview(actor, data, footer=footer)
        if request.headers.get("HX-Request"):
            return render(request, "campaigns/_preview.html", preview)
        if "save" in request.POST:
            problem = _save(campaign, content, data, form.cleaned_data["body"] or "")
            if problem is None:
                messages.success(request, _("Content saved."))
                return redirect("campaigns:detail", pk=campaign.pk)
            for line in problem:
                form.add_error(None, line)
    elif request.method == "GET":
        person = request.GET.get("person", "")
        data = _as_preview_data(
            channel, {**initial, "person": int(person) if person.isdigit() else None}
        )
        preview = _preview(actor, data, footer=footer)
    members = visible_audience(actor, campaign)[:8]
    return render(
        request,
        "campaigns/content.html",
        {
            "campaign": campaign,
            "channel": channel,
            "language": language,
            "language_name": dict(settings.LANGUAGES)[language],
            "variant": variant,
            "form": form,
            "preview": preview,
            "members": members,
        },
    )
