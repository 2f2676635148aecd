"""List filters shared by the staff UI and the API, so both filter the same way."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from luukku.core.models import OrgUnit, User


def filter_users(
    users: QuerySet[User],
    *,
    org_unit: OrgUnit | None = None,
    role: str | None = None,
    presence: str | None = None,
    q: str | None = None,
) -> QuerySet[User]:
    if org_unit is not None:
        users = users.filter(memberships__org_unit__path__startswith=org_unit.path)
    if role:
        users = users.filter(memberships__role=role)
    if presence:
        users = users.filter(presence=presence)
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    return users.distinct()
