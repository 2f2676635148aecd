"""Who may see and do what, by role and org unit.

Every view, API handler and CLI command loads org units, users and teams
through the functions here, never with a bare ``objects.get``. A role held in
an org unit applies to that unit and to every unit below it.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.core.models import Membership, OrgUnit, Role, Team, User


class Perm(StrEnum):
    ORG_UNIT_VIEW = "org_unit.view"
    ORG_UNIT_MANAGE = "org_unit.manage"
    USER_VIEW = "user.view"
    USER_MANAGE = "user.manage"
    TEAM_VIEW = "team.view"
    TEAM_MANAGE = "team.manage"
    PRESENCE_VIEW = "presence.view"
    PRESENCE_MANAGE = "presence.manage"
    AUDIT_VIEW = "audit.view"
    JOBS_MANAGE = "jobs.manage"
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_IMPORT = "customer.import"
    CUSTOMER_EXPORT = "customer.export"
    CUSTOMER_SCHEMA = "customer.schema"
    EVENT_INGEST = "event.ingest"
    CASE_VIEW = "case.view"
    CASE_WORK = "case.work"
    DESK_MANAGE = "desk.manage"
    CONSENT_MANAGE = "consent.manage"
    SEGMENT_MANAGE = "segment.manage"
    CAMPAIGN_MANAGE = "campaign.manage"
    JOURNEY_MANAGE = "journey.manage"


PERM_LABELS = {
    Perm.ORG_UNIT_VIEW: gettext_lazy("See org units"),
    Perm.ORG_UNIT_MANAGE: gettext_lazy("Create and change org units"),
    Perm.USER_VIEW: gettext_lazy("See staff"),
    Perm.USER_MANAGE: gettext_lazy("Create staff and grant roles"),
    Perm.TEAM_VIEW: gettext_lazy("See teams"),
    Perm.TEAM_MANAGE: gettext_lazy("Create and change teams"),
    Perm.PRESENCE_VIEW: gettext_lazy("See who is present"),
    Perm.PRESENCE_MANAGE: gettext_lazy("Set others' presence, working hours and absences"),
    Perm.AUDIT_VIEW: gettext_lazy("Read the audit log"),
    Perm.JOBS_MANAGE: gettext_lazy("Retry failed background jobs"),
    Perm.CUSTOMER_VIEW: gettext_lazy("See customers and their timeline"),
    Perm.CUSTOMER_EDIT: gettext_lazy("Create and change customers"),
    Perm.CUSTOMER_IMPORT: gettext_lazy("Import customers from files"),
    Perm.CUSTOMER_EXPORT: gettext_lazy("Export customer lists"),
    Perm.CUSTOMER_SCHEMA: gettext_lazy("Define custom fields, relationship types and sources"),
    Perm.EVENT_INGEST: gettext_lazy("Send timeline events from source systems"),
    Perm.CASE_VIEW: gettext_lazy("See the cases in the unit's queues"),
    Perm.CASE_WORK: gettext_lazy("Answer, assign and change cases"),
    Perm.DESK_MANAGE: gettext_lazy("Set up queues, categories and case statuses"),
    Perm.CONSENT_MANAGE: gettext_lazy("Define consent purposes, their texts and landing pages"),
    Perm.SEGMENT_MANAGE: gettext_lazy("Build segments and see their members"),
    Perm.CAMPAIGN_MANAGE: gettext_lazy("Write, preview and send campaigns"),
    Perm.JOURNEY_MANAGE: gettext_lazy("Build, run and follow journeys"),
}

_EVERY_STAFF_MEMBER = frozenset(
    {Perm.ORG_UNIT_VIEW, Perm.USER_VIEW, Perm.TEAM_VIEW, Perm.PRESENCE_VIEW, Perm.CUSTOMER_VIEW}
)

_CASE_WORKER = frozenset({Perm.CASE_VIEW, Perm.CASE_WORK})

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMINISTRATOR: frozenset(Perm),
    Role.SUPERVISOR: _EVERY_STAFF_MEMBER
    | _CASE_WORKER
    | {Perm.TEAM_MANAGE, Perm.PRESENCE_MANAGE, Perm.CUSTOMER_EDIT, Perm.CUSTOMER_EXPORT},
    Role.AGENT: _EVERY_STAFF_MEMBER | _CASE_WORKER | {Perm.CUSTOMER_EDIT},
    # Field workers handle the requests they are sent out on (a municipality's caretakers).
    Role.FIELD_WORKER: _EVERY_STAFF_MEMBER | _CASE_WORKER,
    Role.MARKETER: _EVERY_STAFF_MEMBER
    | {
        Perm.CUSTOMER_EXPORT,
        Perm.CONSENT_MANAGE,
        Perm.SEGMENT_MANAGE,
        Perm.CAMPAIGN_MANAGE,
        Perm.JOURNEY_MANAGE,
    },
    Role.ANALYST: _EVERY_STAFF_MEMBER | {Perm.CASE_VIEW},
}


def staff(request: HttpRequest) -> User:
    """The signed-in staff user (views using this are behind login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


class AccessDenied(PermissionDenied):
    """The actor is known but may not do this here."""


def roles_granting(perm: Perm) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]


_CACHE = "_luukku_memberships"


def memberships_of(actor: User) -> list[Membership]:
    """The actor's memberships, read once per user object (a request, a job, a command)."""
    cached: list[Membership] | None = getattr(actor, _CACHE, None)
    if cached is None:
        cached = list(Membership.objects.filter(user=actor).select_related("org_unit"))
        setattr(actor, _CACHE, cached)
    return cached


def forget_memberships(user: User) -> None:
    """Called when a user's roles change, so the next check reads them again."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def _granting_units(actor: User, perm: Perm) -> list[OrgUnit]:
    roles = set(roles_granting(perm))
    return [m.org_unit for m in memberships_of(actor) if m.role in roles]


def units_where(actor: User, perm: Perm) -> QuerySet[OrgUnit]:
    """The org units in which `actor` holds `perm`."""
    if not actor.is_active:
        return OrgUnit.objects.none()
    if actor.is_superuser:
        return OrgUnit.objects.all()
    granting = _granting_units(actor, perm)
    if not granting:
        return OrgUnit.objects.none()
    return OrgUnit.objects.subtree_of(granting)


def units_for_restricted(actor: User, perm: Perm) -> QuerySet[OrgUnit]:
    """Units whose *restricted* data `actor` may see with `perm`.

    Restricted data (say, the health service's) is for the staff of its unit: a role
    held in a unit below the top level reaches its subtree, but an organization-wide
    role (held in a top-level unit) reaches only that top unit's own restricted data.
    Superusers get no exception: only memberships count.
    """
    if not actor.is_active:
        return OrgUnit.objects.none()
    granting = _granting_units(actor, perm)
    within = [unit for unit in granting if unit.depth > 0]
    query = Q(pk__in=[unit.pk for unit in granting if unit.depth == 0])
    for unit in within:
        query |= Q(path__startswith=unit.path)
    return OrgUnit.objects.filter(query)


def can(actor: User, perm: Perm, unit: OrgUnit | None = None) -> bool:
    """Whether `actor` holds `perm` in `unit` (or anywhere, when `unit` is None)."""
    if not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    granting = _granting_units(actor, perm)
    if unit is None:
        return bool(granting)
    return any(unit.is_within(g) for g in granting)


def is_organization_admin(actor: User) -> bool:
    """An administrator of a top-level unit (or a superuser) administers the whole installation."""
    if actor.is_superuser:
        return actor.is_active
    return actor.is_active and any(
        m.role == Role.ADMINISTRATOR and m.org_unit.parent_id is None for m in memberships_of(actor)
    )


def require(actor: User, perm: Perm, unit: OrgUnit | None = None) -> None:
    if not can(actor, perm, unit):
        raise AccessDenied(_("You do not have permission to do this here."))


def require_organization_admin(actor: User) -> None:
    if not is_organization_admin(actor):
        raise AccessDenied(_("Only administrators of the whole organization may do this."))


def org_unit_for_actor(actor: User, unit_id: int, perm: Perm = Perm.ORG_UNIT_VIEW) -> OrgUnit:
    """Load one org unit for `actor`, or refuse: 404 if it does not exist, 403 if not allowed."""
    try:
        unit = OrgUnit.objects.get(pk=unit_id)
    except OrgUnit.DoesNotExist:
        raise Http404(_("No such org unit.")) from None
    require(actor, perm, unit)
    return unit


_MANAGING_PERMS = frozenset({Perm.USER_MANAGE, Perm.PRESENCE_MANAGE})


def users_visible_to(actor: User, perm: Perm = Perm.USER_VIEW) -> QuerySet[User]:
    """Staff users `actor` may see (or manage) with `perm`.

    Seeing a user needs `perm` in one of their units. Managing one (changing their
    details, roles, presence or schedule) needs `perm` in *every* unit they belong to,
    so nobody manages a colleague whose roles reach beyond their own. Users without
    any membership are reachable only by organization administrators, and
    superusers only by superusers.
    """
    if actor.is_superuser and actor.is_active:
        return User.objects.all()
    units = units_where(actor, perm)
    query = Q(memberships__org_unit__in=units)
    if perm is Perm.USER_VIEW:
        query |= Q(pk=actor.pk)
    if is_organization_admin(actor):
        query |= Q(memberships__isnull=True)
    users = User.objects.filter(query)
    if perm in _MANAGING_PERMS:
        outside = Membership.objects.exclude(org_unit__in=units).values("user_id")
        users = users.exclude(pk__in=outside).exclude(is_superuser=True)
    return users.distinct()


def user_for_actor(actor: User, user_id: int, perm: Perm = Perm.USER_VIEW) -> User:
    if perm is Perm.USER_VIEW and user_id == actor.pk:
        return actor
    user = users_visible_to(actor, perm).filter(pk=user_id).first()
    if user is not None:
        return user
    if not User.objects.filter(pk=user_id).exists():
        raise Http404(_("No such user."))
    raise AccessDenied(_("You do not have permission to do this here."))


def schedule_owner_for_actor(actor: User, user_id: int) -> User:
    """The user whose presence, working hours or absences `actor` may change: oneself,
    or someone in a unit where `actor` manages presence (a supervisor's team)."""
    if user_id == actor.pk:
        return actor
    return user_for_actor(actor, user_id, Perm.PRESENCE_MANAGE)


def teams_visible_to(actor: User, perm: Perm = Perm.TEAM_VIEW) -> QuerySet[Team]:
    return Team.objects.filter(org_unit__in=units_where(actor, perm)).select_related("org_unit")


def team_for_actor(actor: User, team_id: int, perm: Perm = Perm.TEAM_VIEW) -> Team:
    try:
        team = Team.objects.select_related("org_unit").get(pk=team_id)
    except Team.DoesNotExist:
        raise Http404(_("No such team.")) from None
    require(actor, perm, team.org_unit)
    return team
