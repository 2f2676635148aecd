from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luukku.core import notifications
from luukku.core.actions import people
from luukku.core.actions.audit import audit_channel
from luukku.core.actions.tokens import create_api_token, revoke_api_token
from luukku.core.models import ApiToken, NotificationEvent
from luukku.web.forms import SettingsForm, TokenForm
from luukku.web.views.auth import staff


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = SettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        initial={"language": user.language, "time_zone": user.time_zone, "mobile": user.mobile},
        region=user.organization.country if user.organization else "NO",
    )
    token_form = TokenForm(request.POST if request.POST.get("form") == "token" else None)
    if request.method == "POST" and request.POST.get("form") == "notifications":
        notifications.set_wishes(
            user,
            {
                event: notifications.Wish(
                    in_app=f"{event}-in_app" in request.POST,
                    email=f"{event}-email" in request.POST,
                    digest=f"{event}-digest" in request.POST,
                )
                for event in NotificationEvent.values
            },
        )
        messages.success(request, _("Your notification choices are saved."))
        return redirect("web:settings")
    new_token = None
    if request.method == "POST" and form.is_bound and form.is_valid():
        with audit_channel("web"):
            people.update_user(user, changes=form.cleaned_data, by=user)
        request.session.pop("luukku_tz", None)
        if user.language:
            translation.activate(user.language)
        messages.success(request, _("Your settings are saved."))
        return redirect("web:settings")
    if request.method == "POST" and token_form.is_bound and token_form.is_valid():
        days = token_form.cleaned_data["expires_days"]
        expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
        with audit_channel("web"):
            _row, new_token = create_api_token(
                user=user, name=token_form.cleaned_data["name"], expires_at=expires_at, by=user
            )
        token_form = TokenForm()
    return render(
        request,
        "web/settings.html",
        {
            "form": form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": user.api_tokens.all(),
            "wishes": [
                (event, label, wish)
                for (event, label), wish in zip(
                    NotificationEvent.choices,
                    [notifications.wishes([user], e)[user.pk] for e in NotificationEvent.values],
                    strict=True,
                )
            ],
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = staff(request)
    token = get_object_or_404(ApiToken, pk=token_id, user=user)
    with audit_channel("web"):
        revoke_api_token(token, by=user)
    messages.success(request, _("Token revoked."))
    return redirect("web:settings")
