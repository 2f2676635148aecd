"""The SLA report page: how often deadlines were met, grouped as the reader chooses."""

from __future__ import annotations

import csv
import datetime
import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.core.access import Perm, require, staff
from luukku.desk import sla_report
from luukku.desk.models import Target


def _six_months_ago() -> datetime.date:
    today = timezone.localdate()
    month = today.month - 5
    year = today.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1)


DATE = forms.DateInput(attrs={"type": "date"})


class ReportForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    group = forms.ChoiceField(
        label=gettext_lazy("Per"),
        choices=[(key, label) for key, (label, _v, _s) in sla_report.GROUPS.items()],
    )
    target = forms.ChoiceField(
        label=gettext_lazy("Target"),
        choices=[("", gettext_lazy("All targets")), *Target.choices],
        required=False,
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if isinstance(since, datetime.date) and isinstance(until, datetime.date):
            if since > until:
                self.add_error("until", _("The end comes before the start."))
            elif (until - since).days > 3 * 366:
                self.add_error("until", _("Choose at most three years at a time."))
        return data


@login_required
def sla_met(request: HttpRequest) -> HttpResponse:
    """Met in time and missed, per month (or queue, unit, team, agent, category), over the
    queues the reader may see; as a table or a CSV file."""
    actor = staff(request)
    require(actor, Perm.CASE_VIEW)
    defaults = {"since": _six_months_ago(), "until": timezone.localdate(), "group": "month"}
    form = ReportForm({**defaults, **request.GET.dict()} if request.GET else defaults)
    rows: list[sla_report.Row] = []
    overall = None
    if form.is_valid():
        chosen = form.cleaned_data
        window = {"since": chosen["since"], "until": chosen["until"], "target": chosen["target"]}
        rows = sla_report.outcomes(actor, group=chosen["group"], **window)
        overall = sla_report.overall(actor, **window)
        if request.GET.get("format") == "csv":
            return _csv(rows, chosen["group"])
    group = form.data.get("group", "month")
    context = {
        "form": form,
        "rows": rows,
        "overall": overall,
        "by_month": group == "month",
        "group_label": sla_report.GROUPS.get(str(group), sla_report.GROUPS["month"])[0],
        "query": request.GET.urlencode(),
    }
    return render(request, "desk/sla_report.html", context)


def _csv(rows: list[sla_report.Row], group: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([group, "met", "missed", "percent_met"])
    for row in rows:
        label = row.label.strftime("%Y-%m") if group == "month" else (row.label or "")
        share = "" if row.share is None else f"{row.share:.1f}"
        writer.writerow([label, row.met, row.missed, share])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-met-by-{group}.csv"'
    return response
