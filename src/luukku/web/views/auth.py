from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from luukku.core.access import staff
from luukku.core.actions import audit
from luukku.core.actions.presence import set_presence
from luukku.core.models import AuditEntry, Presence, User
from luukku.web.forms import QueuedPasswordResetForm

__all__ = ["staff"]


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        with audit.audit_channel("web"):
            audit.record(actor=user, action=AuditEntry.Action.LOGIN, obj=user)
            if user.presence == Presence.OFFLINE:
                set_presence(user, presence=Presence.AVAILABLE, by=user)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        username = str(form.data.get("username", ""))
        if username:
            with audit.audit_channel("web"):
                audit.record_failed_login(
                    username=username, user=User.objects.filter(username=username).first()
                )
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm


def _record_password_set(user: User, how: str) -> None:
    with audit.audit_channel("web"):
        audit.record(
            actor=user,
            action=AuditEntry.Action.UPDATE,
            obj=user,
            org_unit=user.primary_unit(),
            changes={"password": ["…", how]},
        )


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _record_password_set(form.user, "changed")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _record_password_set(form.user, "set by link")
        return response
