"""Standard answers: their administration, and the composer's search that fills one in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.core.access import Perm, require, staff, units_where
from luukku.core.models import User
from luukku.desk import access
from luukku.desk.answers import AnswerError, answers_for, check_template, fill_in
from luukku.desk.models import StandardAnswer


class StandardAnswerForm(forms.ModelForm[StandardAnswer]):
    class Meta:
        model = StandardAnswer
        fields = ["title", "body", "org_unit", "language", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
        labels = {"body": gettext_lazy("Text")}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units: Any = self.fields["org_unit"]
        units.queryset = units_where(actor, Perm.DESK_MANAGE)

    def clean_body(self) -> str:
        body = str(self.cleaned_data["body"])
        try:
            check_template(body)
        except AnswerError as exc:
            raise forms.ValidationError(str(exc)) from None
        return body


def _managed(actor: User) -> Any:
    return StandardAnswer.objects.filter(
        org_unit__in=units_where(actor, Perm.DESK_MANAGE)
    ).select_related("org_unit")


@login_required
def answer_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    return render(request, "desk/answers.html", {"answers": _managed(actor)})


@login_required
def answer_edit(request: HttpRequest, answer_id: int | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    answer = _managed(actor).filter(pk=answer_id).first() if answer_id else None
    if answer_id and answer is None:
        return render(request, "desk/not_found.html", status=404)
    form = StandardAnswerForm(request.POST or None, instance=answer, actor=actor)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Standard answer saved."))
        return redirect("desk:answers")
    return render(request, "desk/answer_form.html", {"form": form, "answer": answer})


@login_required
def answer_search(request: HttpRequest, number: int) -> HttpResponse:
    """The composer's list of standard answers matching what the agent typed."""
    actor = staff(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    language = case.person.preferred_language if case.person else ""
    found = answers_for(case, request.GET.get("q", "").strip(), language)[:20]
    return render(request, "desk/_answer_list.html", {"case": case, "answers": found})


def filled_answer(actor: User, number: int, answer_id: str) -> str:
    """The standard answer filled in for the case, for the composer ("" when none)."""
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    answer = answers_for(case).filter(pk=int(answer_id)).first() if answer_id.isdigit() else None
    return fill_in(answer, case, actor) if answer else ""


@login_required
def answer_insert(request: HttpRequest, number: int, answer_id: int) -> HttpResponse:
    """The composer's text with the answer added (htmx swaps the text field)."""
    actor = staff(request)
    try:
        text = filled_answer(actor, number, str(answer_id))
    except AnswerError as exc:
        messages.error(request, str(exc))
        text = ""
    current = request.GET.get("text", "").rstrip()
    combined = f"{current}\n\n{text}" if current and text else (current or text)
    return render(request, "desk/_composer_text.html", {"draft": combined})
