from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from luukku.core import access, jobs
from luukku.core.actions.audit import audit_channel
from luukku.core.models import WorkerHeartbeat
from luukku.web.views.auth import staff


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    access.require_organization_admin(user)
    failed = list(jobs.failed_jobs()[:100])
    counts = {
        status: DBTaskResult.objects.filter(status=status).count()
        for status in (TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED)
    }
    workers = WorkerHeartbeat.objects.filter(
        seen_at__gte=timezone.now() - datetime.timedelta(seconds=60)
    ).order_by("hostname")
    return render(
        request,
        "web/jobs.html",
        {
            "failed": [(row, jobs.attempts(row)) for row in failed],
            "counts": counts,
            "workers": workers,
        },
    )


@login_required
@require_POST
def job_retry(request: HttpRequest, job_id: str) -> HttpResponse:
    user = staff(request)
    access.require_organization_admin(user)
    row = get_object_or_404(DBTaskResult, pk=job_id)
    with audit_channel("web"):
        jobs.retry_failed_job(row, by=user)
    messages.success(request, _("The job will run again shortly."))
    return redirect("web:jobs")
