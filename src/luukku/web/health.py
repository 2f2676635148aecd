from __future__ import annotations

import datetime

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from luukku.core.models import WorkerHeartbeat

WORKER_FRESH = datetime.timedelta(seconds=30)


def healthz(request: HttpRequest) -> JsonResponse:
    """200 once the web process, the database and at least one worker are up; else 503."""
    checks: dict[str, str] = {"web": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        fresh = WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - WORKER_FRESH)
        checks["worker"] = "ok" if fresh.exists() else "no worker has reported in the last 30 s"
    except DatabaseError as exc:
        checks["database"] = f"unreachable: {exc.__class__.__name__}"
        checks["worker"] = "unknown"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
