from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from luukku.core.actions.presence import record_activity
from luukku.core.models import User


def preferred_time_zone(user: User) -> str:
    if user.time_zone:
        return user.time_zone
    unit = user.primary_unit()
    if unit:
        return unit.time_zone
    if user.organization_id and user.organization:
        return user.organization.time_zone
    return "UTC"


def preferred_language(user: User) -> str | None:
    if user.language:
        return user.language
    if user.organization_id and user.organization:
        return user.organization.language
    return None


class StaffLocaleMiddleware:
    """Speak the signed-in user's language and show times in their time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        language = None
        if isinstance(user, User) and user.is_authenticated:
            language = preferred_language(user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
            tz_name = request.session.get("luukku_tz")
            if not tz_name:
                tz_name = preferred_time_zone(user)
                request.session["luukku_tz"] = tz_name
            try:
                timezone.activate(zoneinfo.ZoneInfo(tz_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.activate(zoneinfo.ZoneInfo("UTC"))
            record_activity(user)
        response = self.get_response(request)
        timezone.deactivate()
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            # Remember the language for pages shown after logout, such as the login page.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
            )
        return response
