from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from luukku.core import tasks
from luukku.core.access import forget_memberships
from luukku.core.actions import audit
from luukku.core.jobs import enqueue_on_commit
from luukku.core.models import (
    Absence,
    AuditEntry,
    Membership,
    Organization,
    OrgUnit,
    Team,
    User,
    WorkingHours,
)

USER_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "language",
    "time_zone",
    "mobile",
    "capacity",
    "is_active",
)
TEAM_FIELDS = ("name", "org_unit")


class PeopleError(ValueError):
    pass


def send_password_link(user: User, *, link_template: str, invitation: bool) -> None:
    """Queue a mail with a link to choose a password (sent once the transaction commits)."""
    if user.email and user.is_active:
        enqueue_on_commit(
            tasks.send_password_link,
            user_id=user.pk,
            link_template=link_template,
            invitation=invitation,
        )


@transaction.atomic
def create_user(
    *,
    organization: Organization | None,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    password: str | None = None,
    is_superuser: bool = False,
    org_unit: OrgUnit | None = None,
    by: User | None,
) -> User:
    user = User(
        organization=organization,
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=user,
        org_unit=org_unit,
        changes={k: [None, v] for k, v in audit.snapshot(user, USER_FIELDS).items()},
    )
    return user


@transaction.atomic
def update_user(user: User, *, changes: dict[str, Any], by: User | None) -> User:
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise PeopleError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if by is not None and by.pk == user.pk and changes.get("is_active") is False:
        raise PeopleError(_("You cannot deactivate yourself."))
    before = audit.snapshot(user, USER_FIELDS)
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    changed = audit.diff(before, audit.snapshot(user, USER_FIELDS))
    if changed:
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=user,
            org_unit=user.primary_unit(),
            changes=changed,
        )
    return user


@transaction.atomic
def grant_role(
    *, user: User, org_unit: OrgUnit, role: str, is_primary: bool = False, by: User | None
) -> Membership:
    forget_memberships(user)
    membership, created = Membership.objects.get_or_create(
        user=user, org_unit=org_unit, role=role, defaults={"is_primary": is_primary}
    )
    if is_primary:
        user.memberships.exclude(pk=membership.pk).update(is_primary=False)
        if not membership.is_primary:
            membership.is_primary = True
            membership.save(update_fields=["is_primary"])
            audit.record(
                actor=by,
                action=AuditEntry.Action.UPDATE,
                obj=user,
                org_unit=org_unit,
                changes={"primary_unit": [None, org_unit.slug]},
            )
    if created:
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=user,
            org_unit=org_unit,
            changes={"roles": [None, f"{role}@{org_unit.slug}"]},
        )
    return membership


@transaction.atomic
def revoke_role(membership: Membership, *, by: User | None) -> None:
    user, unit, role = membership.user, membership.org_unit, membership.role
    membership.delete()
    forget_memberships(user)
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=user,
        org_unit=unit,
        changes={"roles": [f"{role}@{unit.slug}", None]},
    )


@transaction.atomic
def create_team(*, org_unit: OrgUnit, name: str, members: list[User], by: User | None) -> Team:
    team = Team(org_unit=org_unit, name=name)
    team.full_clean()
    team.save()
    team.members.set(members)
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=team,
        org_unit=org_unit,
        changes={"name": [None, name], "members": [None, sorted(u.username for u in members)]},
    )
    return team


@transaction.atomic
def update_team(
    team: Team,
    *,
    name: str | None = None,
    members: list[User] | None = None,
    by: User | None,
) -> Team:
    changes: dict[str, list[Any]] = {}
    if name is not None and name != team.name:
        changes["name"] = [team.name, name]
        team.name = name
        team.full_clean()
        team.save(update_fields=["name"])
    if members is not None:
        before = sorted(team.members.values_list("username", flat=True))
        after = sorted(u.username for u in members)
        if before != after:
            changes["members"] = [before, after]
            team.members.set(members)
    if changes:
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=team,
            org_unit=team.org_unit,
            changes=changes,
        )
    return team


@transaction.atomic
def delete_team(team: Team, *, by: User | None) -> None:
    members = sorted(team.members.values_list("username", flat=True))
    audit.record(
        actor=by,
        action=AuditEntry.Action.DELETE,
        obj=team,
        org_unit=team.org_unit,
        changes={"name": [team.name, None], "members": [members, None]},
    )
    team.delete()


@transaction.atomic
def add_absence(
    *, user: User, kind: str, starts_on: Any, ends_on: Any, note: str = "", by: User | None
) -> Absence:
    absence = Absence(user=user, kind=kind, starts_on=starts_on, ends_on=ends_on, note=note)
    absence.full_clean()
    absence.save()
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=absence,
        org_unit=user.primary_unit(),
        changes=audit.diff({}, audit.snapshot(absence, ("kind", "starts_on", "ends_on", "note"))),
    )
    return absence


def _interval_text(weekday: int, starts: Any, ends: Any) -> str:
    return f"{weekday}:{starts:%H:%M}-{ends:%H:%M}"


@transaction.atomic
def set_working_hours(
    *, user: User, intervals: list[tuple[int, Any, Any]], by: User | None
) -> list[WorkingHours]:
    """Replace the user's regular week with `intervals` of (weekday, starts, ends).

    Raises ValidationError, changing nothing, when an interval is empty or two overlap.
    """
    rows: list[WorkingHours] = []
    for weekday, starts, ends in sorted(intervals):
        row = WorkingHours(user=user, weekday=weekday, starts=starts, ends=ends)
        row.full_clean(exclude=["user"])
        if row.ends <= row.starts:
            raise ValidationError(
                _("Working hours must end after they start (%(interval)s).")
                % {"interval": _interval_text(weekday, starts, ends)}
            )
        previous = rows[-1] if rows else None
        if previous and previous.weekday == weekday and starts < previous.ends:
            raise ValidationError(
                _("Working hours overlap on the same day (%(interval)s).")
                % {"interval": _interval_text(weekday, starts, ends)}
            )
        rows.append(row)
    before = [_interval_text(w.weekday, w.starts, w.ends) for w in user.working_hours.all()]
    user.working_hours.all().delete()
    WorkingHours.objects.bulk_create(rows)
    after = [_interval_text(w.weekday, w.starts, w.ends) for w in rows]
    if before != after:
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=user,
            org_unit=user.primary_unit(),
            changes={"working_hours": [before, after]},
        )
    return rows
