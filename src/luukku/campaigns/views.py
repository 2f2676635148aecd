"""The content editor's live preview: a marketer writes the subject, the body (MJML or
HTML) and the SMS text, picks a customer, and sees exactly what that customer would
get, the text part and the SMS length, as they type. Problems are named with their line
before anything can be sent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from luukku.campaigns.content import Format, compose
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


def _preview(actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Problems against every variable there is, then the content for the chosen person."""
    problems: list[str] = []
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
