"""Core's background jobs."""

from __future__ import annotations

import datetime

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from luukku.core.actions.presence import mark_idle_users
from luukku.core.jobs import job, periodic

KEEP_SUCCESSFUL_JOBS = datetime.timedelta(days=14)


@job(max_attempts=6, backoff_base=30.0)
def send_staff_email(
    *, subject: str, body: str, to: list[str], html_body: str | None = None
) -> None:
    """Send a system email to staff (password reset, notifications); retried on SMTP failure."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    message.send()


@periodic(every=datetime.timedelta(minutes=1))
@job(max_attempts=1)
def mark_idle_staff() -> int:
    return mark_idle_users()


@periodic(every=datetime.timedelta(hours=6))
@job(max_attempts=3)
def prune_finished_jobs() -> int:
    cutoff = timezone.now() - KEEP_SUCCESSFUL_JOBS
    deleted, _ = DBTaskResult.objects.successful().filter(finished_at__lt=cutoff).delete()
    return deleted
