"""Importing a file in the staff UI: upload, map columns, check, import."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luukku.core.access import Perm, require, staff, units_where
from luukku.core.actions.audit import audit_channel
from luukku.core.models import OrgUnit, User
from luukku.customers import access
from luukku.customers.actions import imports as actions
from luukku.customers.importing.fields import field_choices
from luukku.customers.importing.files import UnreadableFile, read_table
from luukku.customers.models import ImportRun, Sensitivity, SourceSystem


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))
    source = forms.ModelChoiceField(
        label=gettext_lazy("Source system"), queryset=SourceSystem.objects.all()
    )
    entity = forms.ChoiceField(
        label=gettext_lazy("The rows are"),
        choices=[
            ("person", gettext_lazy("Persons")),
            ("organization", gettext_lazy("Organizations")),
        ],
    )
    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("Org unit"), queryset=OrgUnit.objects.none(), required=False
    )
    sensitivity = forms.ChoiceField(
        label=gettext_lazy("Sensitivity"),
        choices=Sensitivity.choices,
        initial=Sensitivity.NORMAL,
        required=False,
    )

    def clean_sensitivity(self) -> str:
        return self.cleaned_data.get("sensitivity") or Sensitivity.NORMAL


def _importer(request: HttpRequest) -> User:
    user = staff(request)
    require(user, Perm.CUSTOMER_IMPORT)
    return user


def _run(request: HttpRequest, run_id: int) -> ImportRun:
    user = _importer(request)
    runs = access.import_runs_visible_to(user).select_related("source", "org_unit")
    return get_object_or_404(runs, pk=run_id)


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    actor = _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    form.fields["org_unit"].queryset = units_where(actor, Perm.CUSTOMER_IMPORT)  # type: ignore[attr-defined]
    if (
        request.method == "POST"
        and form.is_valid()
        and not access.may_write_in(
            actor, form.cleaned_data["org_unit"], form.cleaned_data["sensitivity"]
        )
    ):
        form.add_error("org_unit", _("You may not write customer data for this org unit."))
    if request.method == "POST" and form.is_valid():
        try:
            with audit_channel("web"):
                run = actions.start_import(
                    upload=form.cleaned_data["file"],
                    source=form.cleaned_data["source"],
                    entity=form.cleaned_data["entity"],
                    org_unit=form.cleaned_data["org_unit"],
                    sensitivity=form.cleaned_data["sensitivity"],
                    by=actor,
                )
        except (UnreadableFile, actions.ImportStateError) as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("customers:import_map", run_id=run.pk)
    recent = access.import_runs_visible_to(actor).select_related("source", "created_by")[:20]
    return render(request, "customers/import_start.html", {"form": form, "recent": recent})


@login_required
def import_map(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = _importer(request)
    run = _run(request, run_id)
    choices = [("", _("— skip this column —")), *field_choices(run.entity)]
    if request.method == "POST":
        columns = {h: request.POST.get(f"col-{i}", "") for i, h in enumerate(run.headers)}
        targets = [t for t in columns.values() if t]
        if len(targets) != len(set(targets)):
            messages.error(request, _("Each field can take only one column."))
        else:
            try:
                with audit_channel("web"):
                    actions.map_and_check(
                        run,
                        columns=columns,
                        mode=request.POST.get("mode", ImportRun.Mode.ALL_OR_NOTHING),
                        save_as=request.POST.get("save_as", "").strip() or None,
                        by=actor,
                    )
            except actions.ImportStateError as exc:
                messages.error(request, str(exc))
            else:
                return redirect("customers:import_status", run_id=run.pk)
    _headers, rows = read_table(Path(run.file.path), run.original_name)
    samples = list(islice(rows, 3))
    mapping = [
        {
            "index": i,
            "header": header,
            "target": run.columns.get(header, ""),
            "samples": [row[i] if i < len(row) else "" for row in samples],
        }
        for i, header in enumerate(run.headers)
    ]
    return render(
        request,
        "customers/import_map.html",
        {"run": run, "mapping": mapping, "choices": choices, "modes": ImportRun.Mode.choices},
    )


@login_required
def import_status(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    template = "customers/_import_status.html" if request.htmx else "customers/import_status.html"  # type: ignore[attr-defined]
    return render(request, template, {"run": run})


@login_required
@require_POST
def import_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = _importer(request)
    run = _run(request, run_id)
    if request.POST.get("mode") == ImportRun.Mode.VALID_ROWS:
        run.mode = ImportRun.Mode.VALID_ROWS
        run.save(update_fields=["mode"])
    try:
        with audit_channel("web"):
            actions.confirm_import(run, by=actor)
    except actions.ImportStateError as exc:
        messages.error(request, str(exc))
    return redirect("customers:import_status", run_id=run.pk)
