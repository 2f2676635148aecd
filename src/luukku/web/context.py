from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from luukku.core import access
from luukku.core.access import Perm
from luukku.core.models import Presence, User
from luukku.core.notifications import unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    can_see_customers = access.can(user, Perm.CUSTOMER_VIEW)
    items = [(reverse("web:home"), _("Home"))]
    if access.can(user, Perm.CASE_VIEW):
        items.append((reverse("desk:overview"), _("Cases")))
    if can_see_customers:
        items.append((reverse("customers:persons"), _("Customers")))
    if access.can(user, Perm.SEGMENT_MANAGE):
        items.append((reverse("segments:list"), _("Segments")))
    if access.can(user, Perm.CAMPAIGN_MANAGE):
        items.append((reverse("campaigns:list"), _("Campaigns")))
    if access.can(user, Perm.JOURNEY_MANAGE):
        items.append((reverse("journeys:list"), _("Journeys")))
    if access.can(user, Perm.CONSENT_MANAGE):
        items.append((reverse("consent:purposes"), _("Marketing")))
    items += [
        (reverse("web:org_units"), _("Organization")),
        (reverse("web:users"), _("People")),
        (reverse("web:teams"), _("Teams")),
        (reverse("web:presence"), _("Presence")),
        (reverse("web:roles"), _("Roles")),
    ]
    if access.can(user, Perm.AUDIT_VIEW):
        items.append((reverse("web:audit"), _("Audit log")))
    if access.can(user, Perm.CUSTOMER_SCHEMA):
        items.append((reverse("customers:schema"), _("Customer data")))
    if access.is_organization_admin(user):
        items.append((reverse("web:jobs"), _("Jobs")))
        items.append((reverse("web:webhooks"), _("Webhooks")))
    current = request.path
    return {
        "nav_items": [
            {
                "url": url,
                "label": label,
                "current": current == url or (url != "/" and current.startswith(url)),
            }
            for url, label in items
        ],
        "presence_choices": Presence.choices,
        "unread_notifications": unread_count(user),
        "can_search_customers": can_see_customers,
    }
