"""Core's background jobs."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from luukku.core.actions.presence import mark_idle_users
from luukku.core.jobs import job, periodic
from luukku.core.middleware import preferred_language
from luukku.core.models import User

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


@job(max_attempts=6, backoff_base=30.0)
def send_password_link(*, user_id: int, link_template: str, invitation: bool = False) -> None:
    """Mail a user a link to choose a password. The token is made here, at sending time,
    so it is never stored in the job queue. `link_template` holds {uid} and {token}."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    link = link_template.format(
        uid=urlsafe_base64_encode(force_bytes(user.pk)),
        token=default_token_generator.make_token(user),
    )
    context = {"user": user, "link": link, "invitation": invitation}
    with translation.override(preferred_language(user) or settings.LANGUAGE_CODE):
        subject = render_to_string("core/email/password_link_subject.txt", context).strip()
        body = render_to_string("core/email/password_link.txt", context)
    EmailMultiAlternatives(subject=subject, body=body, to=[user.email]).send()


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
