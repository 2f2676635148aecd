"""A staff member's notifications: the newest first, opened and marked read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from luukku.core.models import Notification
from luukku.core.notifications import mark_read, unread_count
from luukku.web.views.auth import staff


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    rows = Notification.objects.filter(user=user)[:100]
    return render(request, "web/notifications.html", {"notifications": rows})


@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one read and go where it points (only within Luukku)."""
    user = staff(request)
    row = get_object_or_404(Notification, pk=notification_id, user=user)
    mark_read(user, [row.pk])
    if row.link and url_has_allowed_host_and_scheme(row.link, allowed_hosts=None):
        return redirect(row.link)
    return redirect("web:notifications")


@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    if request.method == "POST":
        mark_read(user)
    return redirect("web:notifications")


@login_required
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell's text and unread count, fetched again every 30 s by the page."""
    user = staff(request)
    return render(request, "web/_bell.html", {"unread_notifications": unread_count(user)})
