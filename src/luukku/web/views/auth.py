from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from luukku.core.actions import audit
from luukku.core.actions.presence import set_presence
from luukku.core.models import AuditEntry, Presence, User
from luukku.web.forms import QueuedPasswordResetForm


def staff(request: HttpRequest) -> User:
    """The signed-in staff user (views using this are behind login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


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


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
