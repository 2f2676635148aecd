"""A campaign's report page (numbers, rates, charts, links with their clicks drawn on
the email, places and clients), its CSV and XLSX export, and campaigns compared."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext as _

from luukku.campaigns.access import campaign_for_actor, campaigns_visible_to
from luukku.campaigns.preparing import compose_content
from luukku.campaigns.report import METRICS, Report, day_bars, report
from luukku.campaigns.variables import sample_variables
from luukku.core.access import Perm, require, staff
from luukku.core.templating import TemplateProblem

_HREF = re.compile(r'<a\b([^>]*)href="(https?://[^"]+)"')


def click_map(found: Report) -> str:
    """The email (default language, example recipient) with each link's clicks beside it."""
    campaign = found.campaign
    content = campaign.contents.filter(channel="email", language=campaign.default_language).first()
    if content is None:
        return ""
    try:
        email = compose_content(content, sample_variables())
    except TemplateProblem:
        return ""
    clicks = {
        link["url"]: link["clicks"]
        for link in found.links
        if link["language"] == campaign.default_language
    }
    total = sum(clicks.values()) or 1

    def badge(match: re.Match[str]) -> str:
        url = match[2].replace("&amp;", "&")
        if url not in clicks:
            return match[0]
        n = clicks[url]
        label = escape(f"{n} ({round(100 * n / total)} %)")
        return (
            '<span style="background:#ffd166;color:#000;font:bold 12px sans-serif;'
            f'padding:2px 4px;border-radius:3px;margin-right:4px">{label}</span>{match[0]}'
        )

    return _HREF.sub(badge, email.html)


@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    found = report(campaign_for_actor(actor, pk))
    if request.GET.get("format") == "xlsx":
        return _xlsx(found)
    return render(
        request,
        "campaigns/report.html",
        {
            "report": found,
            "campaign": found.campaign,
            "sent_bars": day_bars(found.days, "sent"),
            "open_bars": day_bars(found.days, "opened_unique"),
            "click_bars": day_bars(found.days, "clicked_unique"),
            "click_map": click_map(found),
        },
    )


def _rows(found: Report) -> list[list[Any]]:
    head = [_("channel"), _("language"), _("variant"), *METRICS]
    rows: list[list[Any]] = [head]
    for part in found.by_part:
        rows.append(
            [part["channel"], part["language"], part["variant"] or "A", *[part[m] for m in METRICS]]
        )
    rows.append([_("all"), "", "", *[found.totals[m] for m in METRICS]])
    rows.append([])
    rows.append([_("day"), *DAY_METRICS])
    for day in found.days:
        rows.append([day["day"].isoformat(), *[day[m] for m in DAY_METRICS]])
    rows.append([])
    rows.append([_("link"), _("language"), _("clicks")])
    for link in found.links:
        rows.append([link["url"], link["language"], link["clicks"]])
    return rows


DAY_METRICS = ("sent", "opened_unique", "clicked_unique", "unsubscribed")


@login_required
def report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    found = report(campaign_for_actor(actor, pk))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_rows(found))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{pk}.csv"'
    return response


def _xlsx(found: Report) -> HttpResponse:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(found.campaign.name[:31] or "campaign")
    for r, row in enumerate(_rows(found)):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="campaign-{found.campaign.pk}.xlsx"'
    return response


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    """Campaigns side by side: their rates and totals."""
    actor = staff(request)
    require(actor, Perm.CAMPAIGN_MANAGE)
    chosen = [int(c) for c in request.GET.getlist("c") if c.isdigit()][:6]
    campaigns = campaigns_visible_to(actor).filter(pk__in=chosen)
    reports = [report(c) for c in campaigns]
    options = campaigns_visible_to(actor).exclude(status="draft").order_by("-created_at")[:50]
    return render(
        request,
        "campaigns/compare.html",
        {"reports": reports, "options": options, "chosen": chosen},
    )
