"""The agent's pages: the queues, a queue's cases (refreshed while open), and a case with
its conversation, composer and the customer beside it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luukku.channels.email.receive import handle
from luukku.channels.inbound import InboundAttachment
from luukku.channels.models import InboundReceipt
from luukku.core.access import Perm, can, is_organization_admin, require, staff
from luukku.core.models import User
from luukku.core.paging import list_page
from luukku.customers import access as customer_access
from luukku.desk import access, answer_views, filters, services, sla_display
from luukku.desk import board as desk_board
from luukku.desk.answers import AnswerError
from luukku.desk.attachments import over_limit
from luukku.desk.models import (
    DONE,
    Attachment,
    Case,
    CaseStatus,
    Category,
    Priority,
    Queue,
    SavedView,
    StatusCategory,
)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CASE_VIEW)
    visible = access.cases_visible_to(actor).exclude(status__in=DONE)
    counts = filters.open_counts(visible)
    queues = [
        {"queue": q, "open": sum(counts.get(q.pk, {}).values())}
        for q in access.queues_visible_to(actor).filter(is_active=True)
    ]
    return render(
        request,
        "desk/overview.html",
        {
            "queues": queues,
            "mine": filters.listed(visible.filter(assignee=actor)).order_by("-updated_at")[:50],
            "delegated": filters.listed(visible.filter(delegated_by=actor)).order_by("-updated_at")[
                :50
            ],
            "escalated": filters.listed(
                filters.filter_cases(visible, filters.CaseFilter(escalated_to_me=True), actor)
            ).order_by("-updated_at")[:50],
            "can_manage": can(actor, Perm.DESK_MANAGE),
            "can_supervise": can(actor, Perm.PRESENCE_MANAGE),
            "is_org_admin": is_organization_admin(actor),
        },
    )


@login_required
def queue_cases(request: HttpRequest, slug: str) -> HttpResponse:
    """A queue's cases, filtered and sorted; the table part is fetched again every few
    seconds while open."""
    actor = staff(request)
    queue = access.queues_visible_to(actor).filter(slug=slug).first()
    if queue is None:
        require(actor, Perm.CASE_VIEW)
        return render(request, "desk/not_found.html", status=404)
    wanted = filters.from_query(request.GET)
    cases = filters.filter_cases(
        filters.listed(access.cases_visible_to(actor).filter(queue=queue)), wanted, actor
    )
    page = list_page(filters.sorted_cases(cases, wanted.sort), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "queue": queue,
        "page": page,
        "state": request.GET.get("state", "open"),
        "states": StatusCategory.choices,
        "priorities": Priority.choices,
        "categories": Category.objects.filter(org_unit=queue.org_unit),
        "chosen_priorities": wanted.priority or [],
        "views": SavedView.objects.filter(user=actor, queue=queue),
        "query": query.urlencode(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "desk/_case_rows.html", context)
    return render(request, "desk/queue.html", context)


@login_required
@require_POST
def save_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Keep the queue page's current filter under a name, for the person who saved it."""
    actor = staff(request)
    queue = access.queues_visible_to(actor).filter(slug=slug).first()
    if queue is None:
        return render(request, "desk/not_found.html", status=404)
    name = request.POST.get("name", "").strip()[:60]
    query = request.POST.get("query", "")[:500]
    if name:
        SavedView.objects.update_or_create(
            user=actor, queue=queue, name=name, defaults={"query": query}
        )
        messages.success(request, _("View saved."))
    return redirect(f"{reverse('desk:queue', args=[queue.slug])}?{query}")


def _case_context(actor: User, case: Case) -> dict[str, Any]:
    case = filters.listed(Case.objects.filter(pk=case.pk)).get()
    holder = case.working_on_it
    person = case.person
    may_see_person = (
        person is not None
        and customer_access.persons_visible_to(actor).filter(pk=person.pk).exists()
    )
    return {
        "case": case,
        "conversation": case.messages.select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk"),
        "history": case.history.select_related("actor").order_by("-at", "-pk")[:20],
        "holder": holder,
        "held_by_other": holder is not None and holder.pk != actor.pk,
        "may_work": access.may_work(actor, case),
        "person": person if may_see_person else None,
        # Only what the list shows: a join-free query plans fast.
        "other_cases": access.cases_visible_to(actor)
        .filter(person=person)
        .exclude(pk=case.pk)
        .only("number", "subject", "status", "org_unit_id")
        .order_by("-created_at")[:10]
        if may_see_person
        else [],
        "timeline": customer_access.events_visible_to(actor, person).order_by("-occurred_at")[:8]
        if may_see_person and person is not None
        else [],
        "statuses": _status_choices(),
        "status_now": _status_value(case),
        "priorities": Priority.choices,
        "categories": Category.objects.filter(org_unit=case.org_unit),
        "queues": Queue.objects.filter(is_active=True).exclude(pk=case.queue_id).order_by("name"),
        "sla": sla_display.clock_views(case),
    }


@login_required
def case_view(request: HttpRequest, number: int) -> HttpResponse:
    """Opening a case to work claims it, unless someone else is working on it."""
    actor = staff(request)
    case = access.case_for_actor(actor, number)
    if access.may_work(actor, case) and case.working_on_it is None:
        services.claim_case(case, by=actor)
    draft = request.session.pop("draft", "")
    if answer := request.GET.get("answer", ""):  # a standard answer chosen without JavaScript
        try:
            draft = answer_views.filled_answer(actor, number, answer) or draft
        except AnswerError as exc:
            messages.error(request, str(exc))
    return render(request, "desk/case.html", {**_case_context(actor, case), "draft": draft})


@login_required
@require_POST
def case_heartbeat(request: HttpRequest, number: int) -> HttpResponse:
    """The open case page renews its claim; it answers who is working on the case."""
    actor = staff(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    holder = case.working_on_it
    if holder is None or holder.pk == actor.pk:
        case = services.claim_case(case, by=actor)
        holder = actor
    return render(request, "desk/_lock.html", {"case": case, "holder": holder, "actor": actor})


def _refused(request: HttpRequest, exc: services.CaseError) -> None:
    messages.error(request, str(exc))
    if isinstance(exc, services.StaleCase):
        for entry in exc.activity:
            who = entry.actor or _("the customer")
            messages.info(
                request,
                _("Meanwhile: %(change)s by %(who)s")
                % {
                    "change": entry.label,
                    "who": who,
                },
            )


@login_required
@require_POST
def case_take_over(request: HttpRequest, number: int) -> HttpResponse:
    actor = staff(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    services.claim_case(case, by=actor, take_over=True)
    return redirect("desk:case", number=number)


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def _uploaded_files(request: HttpRequest) -> list[InboundAttachment]:
    """The composer's files, each checked against the size limit before it is read."""
    files = []
    uploads = request.FILES.getlist("files")
    for upload in uploads:
        if refusal := over_limit(upload.name or "", upload.size or 0):
            raise services.CaseError(refusal)
    if refusal := over_limit(_("the files together"), sum(u.size or 0 for u in uploads)):
        raise services.CaseError(refusal)
    for upload in uploads:
        files.append(
            InboundAttachment(
                filename=upload.name or "attachment",
                content_type=upload.content_type or "application/octet-stream",
                data=upload.read(),
            )
        )
    return files


@login_required
@require_POST
def case_message(request: HttpRequest, number: int) -> HttpResponse:
    """The composer: a reply to the customer or an internal note."""
    actor = staff(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    text = request.POST.get("text", "")
    try:
        files = _uploaded_files(request)
        if request.POST.get("kind") == "note":
            services.add_note(case, by=actor, text=text, version=_version(request), files=files)
            messages.success(request, _("Note saved."))
        else:
            services.reply(case, by=actor, text=text, version=_version(request), files=files)
            messages.success(request, _("Reply sent."))
    except services.CaseError as exc:
        _refused(request, exc)
        request.session["draft"] = text  # nothing typed is lost
    return redirect("desk:case", number=number)


def _status_choices() -> list[tuple[str, str]]:
    """The six states, then the organization's own statuses ("custom:<id>")."""
    fixed = [(str(value), str(label)) for value, label in StatusCategory.choices]
    own = [
        (f"custom:{s.pk}", f"{s.name} ({s.get_category_display()})")
        for s in CaseStatus.objects.all()
    ]
    return [*fixed, *own]


def _status_value(case: Case) -> str:
    """The case's status as the side panel's choice names it."""
    return f"custom:{case.custom_status_id}" if case.custom_status_id else case.status


def _chosen_status(value: str) -> str | CaseStatus:
    if value.startswith("custom:") and value[7:].isdigit():
        chosen = CaseStatus.objects.filter(pk=int(value[7:])).first()
        if chosen is None:
            raise services.CaseError(_("That status no longer exists."))
        return chosen
    return value


@login_required
@require_POST
def case_update(request: HttpRequest, number: int) -> HttpResponse:
    """Status, priority, category and assignee from the case's side panel."""
    actor = staff(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    post = request.POST
    category, priority = post.get("category", ""), post.get("priority")
    status = post.get("status", "")
    try:
        services.update_case(
            case,
            by=actor,
            version=_version(request),
            # Only what the form changes: an unchanged field is no change.
            priority=priority if priority and priority != case.priority else None,
            category_id=int(category)
            if category.isdigit() and int(category) != case.category_id
            else None,
            assignee=actor
            if post.get("assign") == "me" and case.assignee_id != actor.pk
            else services.KEEP,
            status=_chosen_status(status) if status and status != _status_value(case) else None,
            resolution_note=post.get("resolution_note", ""),
            suggest_faq=bool(post.get("suggest_faq")),
        )
        messages.success(request, _("Case updated."))
    except services.CaseError as exc:
        _refused(request, exc)
    return redirect("desk:case", number=number)


@login_required
def failed_inbound(request: HttpRequest) -> HttpResponse:
    """Mail that could not be turned into a case, with the error and the raw message."""
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    receipts = (
        access.receipts_visible_to(actor)
        .filter(status=InboundReceipt.Status.FAILED)
        .select_related("mailbox")
        .order_by("-received_at")
    )
    page = list_page(receipts, request.GET.get("page"))
    shown = [{"receipt": r, "raw": bytes(r.raw[:20_000]).decode("utf-8", "replace")} for r in page]
    return render(request, "desk/failed_inbound.html", {"page": page, "rows": shown})


@login_required
@require_POST
def retry_inbound(request: HttpRequest, receipt_id: int) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    receipt = access.receipts_visible_to(actor).filter(pk=receipt_id).first()
    if receipt is None:
        return render(request, "desk/not_found.html", status=404)
    receipt = handle(receipt)
    if receipt.status == InboundReceipt.Status.HANDLED:
        messages.success(request, _("Handled: %(outcome)s") % {"outcome": receipt.outcome})
    else:
        messages.error(request, _("Failed again: %(error)s") % {"error": receipt.error})
    return redirect("desk:failed_inbound")


@login_required
def attachment_download(
    request: HttpRequest, number: int, attachment_id: int
) -> HttpResponse | FileResponse:
    """A message's file, for whoever may see the case: always as a download, with the
    type read from its content, so nothing a customer sent runs in the agent's browser."""
    actor = staff(request)
    case = access.case_for_actor(actor, number)
    attachment = Attachment.objects.filter(pk=attachment_id, message__case=case).first()
    if attachment is None:
        return render(request, "desk/not_found.html", status=404)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def case_merge(request: HttpRequest, number: int) -> HttpResponse:
    actor = staff(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    target = request.POST.get("into", "").strip().lstrip("#")
    try:
        if not target.isdigit():
            raise services.CaseError(_("Give the number of the case to merge into."))
        into = access.case_for_actor(actor, int(target), Perm.CASE_WORK)
        survivor = services.merge_case(case, into=into, by=actor, version=_version(request))
    except services.CaseError as exc:
        _refused(request, exc)
        return redirect("desk:case", number=number)
    messages.success(request, _("Merged into case %(number)s.") % {"number": survivor.number})
    return redirect("desk:case", number=survivor.number)


@login_required
@require_POST
def case_move(request: HttpRequest, number: int) -> HttpResponse:
    """To another queue, of any unit: after it the mover may no longer see the case."""
    actor = staff(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    to = Queue.objects.filter(slug=request.POST.get("queue", ""), is_active=True).first()
    try:
        if to is None:
            raise services.CaseError(_("Choose a queue to move the case to."))
        case = services.move_case(case, to=to, by=actor, version=_version(request))
    except services.CaseError as exc:
        _refused(request, exc)
        return redirect("desk:case", number=number)
    messages.success(
        request, _("Case %(number)s moved to %(queue)s.") % {"number": number, "queue": to.name}
    )
    if access.may_see(actor, case):
        return redirect("desk:case", number=number)
    return redirect("desk:overview")


@login_required
@require_POST
def case_split(request: HttpRequest, number: int) -> HttpResponse:
    actor = staff(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    chosen = [int(v) for v in request.POST.getlist("message") if v.isdigit()]
    try:
        child = services.split_case(
            case,
            message_ids=chosen,
            subject=request.POST.get("subject", ""),
            by=actor,
            version=_version(request),
        )
    except services.CaseError as exc:
        _refused(request, exc)
        return redirect("desk:case", number=number)
    messages.success(request, _("Split off as case %(number)s.") % {"number": child.number})
    return redirect("desk:case", number=child.number)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The supervisors' board: waiting work, SLA risk, who is there and how loaded."""
    actor = staff(request)
    require(actor, Perm.PRESENCE_MANAGE)
    return render(
        request,
        "desk/board.html",
        {"queues": desk_board.queue_rows(actor), "agents": desk_board.agent_rows(actor)},
    )
