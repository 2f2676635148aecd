"""Core's API: org units, users, teams, presence."""

import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from luukku.core import access, filters
from luukku.core.access import Perm
from luukku.core.actions import org as org_actions
from luukku.core.actions import people, presence
from luukku.core.actions.audit import audit_channel
from luukku.core.links import password_link_template
from luukku.core.models import Absence, Membership, OrgUnit, Presence, Role, Team, User
from luukku.core.restapi.pagination import CursorPagination
from luukku.core.restapi.schema import Email, StrictSchema

router = Router()


def actor_of(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


# --- org units -------------------------------------------------------------


class OrgUnitOut(Schema):
    id: int
    name: str
    slug: str
    parent_id: int | None
    depth: int
    time_zone: str
    language: str


class OrgUnitCreate(StrictSchema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=64, pattern=r"^[-a-z0-9_]+$")
    parent_id: int
    time_zone: str | None = None
    language: str | None = None


class OrgUnitPatch(StrictSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[-a-z0-9_]+$")
    parent_id: int | None = None
    time_zone: str | None = None
    language: str | None = None


@router.get("/org-units", response=list[OrgUnitOut], tags=["organization"])
@paginate(CursorPagination)
def list_org_units(request: HttpRequest) -> Any:
    return access.units_where(actor_of(request), Perm.ORG_UNIT_VIEW)


@router.get("/org-units/{unit_id}", response=OrgUnitOut, tags=["organization"])
def get_org_unit(request: HttpRequest, unit_id: int) -> OrgUnit:
    return access.org_unit_for_actor(actor_of(request), unit_id)


@router.post("/org-units", response={201: OrgUnitOut}, tags=["organization"])
def create_org_unit(request: HttpRequest, payload: OrgUnitCreate) -> tuple[int, OrgUnit]:
    actor = actor_of(request)
    parent = access.org_unit_for_actor(actor, payload.parent_id, Perm.ORG_UNIT_MANAGE)
    with audit_channel("api"):
        unit = org_actions.create_org_unit(
            organization=parent.organization,
            name=payload.name,
            slug=payload.slug,
            parent=parent,
            time_zone=payload.time_zone,
            language=payload.language,
            by=actor,
        )
    return 201, unit


@router.patch("/org-units/{unit_id}", response=OrgUnitOut, tags=["organization"])
def update_org_unit(request: HttpRequest, unit_id: int, payload: OrgUnitPatch) -> OrgUnit:
    actor = actor_of(request)
    unit = access.org_unit_for_actor(actor, unit_id, Perm.ORG_UNIT_MANAGE)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    if "parent_id" in changes:
        changes["parent"] = access.org_unit_for_actor(
            actor, changes.pop("parent_id"), Perm.ORG_UNIT_MANAGE
        )
    with audit_channel("api"):
        return org_actions.update_org_unit(unit, changes=changes, by=actor)


# --- users -----------------------------------------------------------------


class MembershipOut(Schema):
    org_unit_id: int
    role: str
    is_primary: bool


class MembershipIn(StrictSchema):
    org_unit_id: int
    role: Role
    is_primary: bool = False


class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    language: str
    is_active: bool
    presence: str
    capacity: int
    memberships: list[MembershipOut]
    team_ids: list[int]

    @staticmethod
    def resolve_memberships(obj: User) -> list[Membership]:
        return list(obj.memberships.all())

    @staticmethod
    def resolve_team_ids(obj: User) -> list[int]:
        return [team.pk for team in obj.teams.all()]


class UserCreate(StrictSchema):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    email: Email | None = None
    first_name: str = ""
    last_name: str = ""
    language: str = ""
    memberships: list[MembershipIn] = Field(min_length=1)


class UserPatch(StrictSchema):
    email: Email | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    time_zone: str | None = None
    capacity: int | None = Field(default=None, ge=0, le=500)
    is_active: bool | None = None


def _user_rows(users: Any) -> Any:
    return users.prefetch_related("memberships", "teams")


@router.get("/users", response=list[UserOut], tags=["people"])
@paginate(CursorPagination)
def list_users(
    request: HttpRequest,
    org_unit_id: int | None = None,
    role: Role | None = None,
    presence: Presence | None = None,
    q: str | None = None,
) -> Any:
    actor = actor_of(request)
    unit = access.org_unit_for_actor(actor, org_unit_id, Perm.USER_VIEW) if org_unit_id else None
    users = filters.filter_users(
        access.users_visible_to(actor), org_unit=unit, role=role, presence=presence, q=q
    )
    return _user_rows(users)


@router.get("/users/me", response=UserOut, tags=["people"])
def get_me(request: HttpRequest) -> User:
    return _user_rows(User.objects.filter(pk=actor_of(request).pk)).get()


@router.get("/users/{user_id}", response=UserOut, tags=["people"])
def get_user(request: HttpRequest, user_id: int) -> User:
    access.user_for_actor(actor_of(request), user_id)
    return _user_rows(User.objects.filter(pk=user_id)).get()


@router.post("/users", response={201: UserOut}, tags=["people"])
def create_user(request: HttpRequest, payload: UserCreate) -> tuple[int, User]:
    actor = actor_of(request)
    units = [
        access.org_unit_for_actor(actor, m.org_unit_id, Perm.USER_MANAGE)
        for m in payload.memberships
    ]
    with audit_channel("api"), transaction.atomic():
        user = people.create_user(
            organization=units[0].organization,
            username=payload.username,
            email=str(payload.email or ""),
            first_name=payload.first_name,
            last_name=payload.last_name,
            language=payload.language,
            org_unit=units[0],
            by=actor,
        )
        for unit, m in zip(units, payload.memberships, strict=True):
            people.grant_role(
                user=user, org_unit=unit, role=m.role, is_primary=m.is_primary, by=actor
            )
        people.send_password_link(
            user, link_template=password_link_template(request), invitation=True
        )
    return 201, _user_rows(User.objects.filter(pk=user.pk)).get()


@router.patch("/users/{user_id}", response=UserOut, tags=["people"])
def update_user(request: HttpRequest, user_id: int, payload: UserPatch) -> User:
    actor = actor_of(request)
    user = access.user_for_actor(actor, user_id, Perm.USER_MANAGE)
    changes = payload.dict(exclude_unset=True)
    if "email" in changes:
        changes["email"] = str(changes["email"] or "")
    with audit_channel("api"):
        people.update_user(user, changes=changes, by=actor)
    return _user_rows(User.objects.filter(pk=user_id)).get()


# --- teams -----------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    org_unit_id: int
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(obj: Team) -> list[int]:
        return [member.pk for member in obj.members.all()]


class TeamCreate(StrictSchema):
    name: str = Field(min_length=1, max_length=200)
    org_unit_id: int
    member_ids: list[int] = []


class TeamPatch(StrictSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    member_ids: list[int] | None = None


def _members(actor: User, ids: list[int]) -> list[User]:
    return [access.user_for_actor(actor, member_id) for member_id in dict.fromkeys(ids)]


@router.get("/teams", response=list[TeamOut], tags=["people"])
@paginate(CursorPagination)
def list_teams(request: HttpRequest) -> Any:
    return access.teams_visible_to(actor_of(request)).prefetch_related("members")


@router.get("/teams/{team_id}", response=TeamOut, tags=["people"])
def get_team(request: HttpRequest, team_id: int) -> Team:
    return access.team_for_actor(actor_of(request), team_id)


@router.post("/teams", response={201: TeamOut}, tags=["people"])
def create_team(request: HttpRequest, payload: TeamCreate) -> tuple[int, Team]:
    actor = actor_of(request)
    unit = access.org_unit_for_actor(actor, payload.org_unit_id, Perm.TEAM_MANAGE)
    members = _members(actor, payload.member_ids)
    with audit_channel("api"):
        team = people.create_team(org_unit=unit, name=payload.name, members=members, by=actor)
    return 201, team


@router.patch("/teams/{team_id}", response=TeamOut, tags=["people"])
def update_team(request: HttpRequest, team_id: int, payload: TeamPatch) -> Team:
    actor = actor_of(request)
    team = access.team_for_actor(actor, team_id, Perm.TEAM_MANAGE)
    members = _members(actor, payload.member_ids) if payload.member_ids is not None else None
    with audit_channel("api"):
        return people.update_team(team, name=payload.name, members=members, by=actor)


@router.delete("/teams/{team_id}", response={204: None}, tags=["people"])
def delete_team(request: HttpRequest, team_id: int) -> tuple[int, None]:
    actor = actor_of(request)
    team = access.team_for_actor(actor, team_id, Perm.TEAM_MANAGE)
    with audit_channel("api"):
        people.delete_team(team, by=actor)
    return 204, None


# --- presence --------------------------------------------------------------


class PresenceOut(Schema):
    user_id: int
    username: str
    name: str
    presence: str
    is_automatic: bool
    last_seen_at: datetime.datetime | None
    absent_today: bool


class PresenceIn(StrictSchema):
    presence: Presence


def _presence_row(user: User, today: datetime.date) -> PresenceOut:
    return PresenceOut(
        user_id=user.pk,
        username=user.username,
        name=str(user),
        presence=user.presence,
        is_automatic=user.presence_is_automatic,
        last_seen_at=user.last_seen_at,
        absent_today=any(a.starts_on <= today <= a.ends_on for a in user.absences.all()),
    )


@router.get("/presence", response=list[PresenceOut], tags=["people"])
def list_presence(request: HttpRequest, org_unit_id: int | None = None) -> list[PresenceOut]:
    """Who is available now, in the units the caller may see (or in one unit and below)."""
    actor = actor_of(request)
    unit = (
        access.org_unit_for_actor(actor, org_unit_id, Perm.PRESENCE_VIEW) if org_unit_id else None
    )
    users = filters.filter_users(
        access.users_visible_to(actor, Perm.PRESENCE_VIEW), org_unit=unit
    ).prefetch_related("absences")
    today = timezone.localdate()
    return [_presence_row(u, today) for u in users.filter(is_active=True).order_by("username")]


@router.put("/users/{user_id}/presence", response=PresenceOut, tags=["people"])
def set_presence(request: HttpRequest, user_id: int, payload: PresenceIn) -> PresenceOut:
    actor = actor_of(request)
    user = access.schedule_owner_for_actor(actor, user_id)
    with audit_channel("api"):
        presence.set_presence(user, presence=payload.presence, by=actor)
    user.refresh_from_db()
    return _presence_row(user, timezone.localdate())


# --- working hours and absences ---------------------------------------------


class IntervalSchema(StrictSchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    starts: datetime.time
    ends: datetime.time


class WorkingHoursIn(StrictSchema):
    intervals: list[IntervalSchema]


class AbsenceOut(Schema):
    id: int
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date
    note: str


class AbsenceIn(StrictSchema):
    kind: Absence.Kind
    starts_on: datetime.date
    ends_on: datetime.date
    note: str = Field("", max_length=200)


def _intervals(user: User) -> list[IntervalSchema]:
    return [
        IntervalSchema(weekday=w.weekday, starts=w.starts, ends=w.ends)
        for w in user.working_hours.all()
    ]


@router.get("/users/{user_id}/working-hours", response=list[IntervalSchema], tags=["people"])
def get_working_hours(request: HttpRequest, user_id: int) -> list[IntervalSchema]:
    return _intervals(access.user_for_actor(actor_of(request), user_id))


@router.put("/users/{user_id}/working-hours", response=list[IntervalSchema], tags=["people"])
def put_working_hours(
    request: HttpRequest, user_id: int, payload: WorkingHoursIn
) -> list[IntervalSchema]:
    """Replace the user's regular week. Own hours, or as a supervisor of the user's unit."""
    actor = actor_of(request)
    user = access.schedule_owner_for_actor(actor, user_id)
    with audit_channel("api"):
        people.set_working_hours(
            user=user,
            intervals=[(i.weekday, i.starts, i.ends) for i in payload.intervals],
            by=actor,
        )
    return _intervals(user)


@router.get("/users/{user_id}/absences", response=list[AbsenceOut], tags=["people"])
def list_absences(request: HttpRequest, user_id: int) -> list[Absence]:
    return list(access.user_for_actor(actor_of(request), user_id).absences.all())


@router.post("/users/{user_id}/absences", response={201: AbsenceOut}, tags=["people"])
def add_absence(request: HttpRequest, user_id: int, payload: AbsenceIn) -> tuple[int, Absence]:
    actor = actor_of(request)
    user = access.schedule_owner_for_actor(actor, user_id)
    with audit_channel("api"):
        absence = people.add_absence(user=user, by=actor, **payload.dict())
    return 201, absence
