"""Everything done to journeys: created and edited as versions, activated after the
checks, paused and resumed, archived; persons enrolled by hand or by the API and taken
out; messages for its send steps. Each change is audited."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.campaigns.models import Campaign
from luukku.consent.models import Purpose
from luukku.core.actions import audit
from luukku.core.jobs import enqueue_on_commit
from luukku.core.models import AuditEntry, OrgUnit, User
from luukku.customers.models import Person
from luukku.journeys import definition as d
from luukku.journeys import store
from luukku.journeys.engine import ACTIVE, EXITED, end
from luukku.journeys.models import Enrolment, Journey, Version
from luukku.journeys.reactions import enrol, forget_interests
from luukku.journeys.scheduler import Moved, definition_of, move_states, version_number
from luukku.journeys.validation import Problem, problems


class JourneyError(ValidationError):
    """A change the journey refuses; the message says why."""


class NotActivatable(JourneyError):
    def __init__(self, found: list[Problem]) -> None:
        super().__init__([str(p) for p in found])
        self.problems = found


def _form_checked(definition: dict[str, Any]) -> dict[str, Any]:
    form = d.problems_in(definition)
    if form:
        raise JourneyError([f"{where}: {what}" for where, what in form])
    return d.parse(definition).model_dump(mode="json", exclude_defaults=False)


@transaction.atomic
def create_journey(
    *,
    name: str,
    org_unit: OrgUnit,
    purpose: Purpose | None,
    definition: dict[str, Any] | None = None,
    by: User | None,
) -> Journey:
    if not name.strip():
        raise JourneyError(_("A journey needs a name."))
    journey = Journey.objects.create(
        name=name.strip()[:200], org_unit=org_unit, purpose=purpose, created_by=by
    )
    Version.objects.create(
        journey=journey, number=1, definition=_form_checked(definition or {}), created_by=by
    )
    audit.record(actor=by, action=AuditEntry.Action.CREATE, obj=journey, org_unit=org_unit)
    return journey


def draft_of(journey: Journey) -> Version | None:
    newest = journey.versions.order_by("-number").first()
    return newest if newest is not None and newest.is_draft else None


def editable_version(journey: Journey) -> Version:
    """The version being edited: the draft, or the newest one if none is (to be copied
    into a new draft when saved)."""
    found = journey.versions.order_by("-number").first()
    assert found is not None
    return found


@transaction.atomic
def save_draft(journey: Journey, definition: dict[str, Any], *, by: User | None) -> Version:
    """Keep the edited definition in the draft version; a new draft when the newest
    version is in use (persons inside it stay on theirs)."""
    checked = _form_checked(definition)
    journey = Journey.objects.select_for_update().get(pk=journey.pk)  # one draft at a time
    draft = draft_of(journey)
    if draft is None:
        number = (journey.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        draft = Version.objects.create(
            journey=journey, number=number, definition=checked, created_by=by
        )
    else:
        before = draft.definition
        draft.definition = checked
        draft.save(update_fields=["definition"])
        if before == checked:
            return draft
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=journey,
        org_unit=journey.org_unit,
        changes={"draft": [None, draft.number]},
    )
    return draft


@transaction.atomic
def activate(journey: Journey, *, by: User | None, migrate: bool = False) -> Journey:
    """Persons enter the newest version from now on, once it passes every check; with
    `migrate`, those in older versions move to it where their step is in it too."""
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if journey.status == Journey.Status.ARCHIVED:
        raise JourneyError(_("An archived journey cannot be activated again."))
    version = journey.versions.order_by("-number").first()
    if version is None:
        raise JourneyError(_("The journey has no steps."))
    found = problems(version.definition, purpose=journey.purpose, unit=journey.org_unit)
    if found:
        raise NotActivatable(found)
    before = journey.status
    if version.is_draft:
        version.activated_at = timezone.now()
        version.save(update_fields=["activated_at"])
    journey.current = version
    journey.status = Journey.Status.ACTIVE
    journey.save(update_fields=["current", "status", "updated_at"])
    moved = _migrate(journey, version) if migrate else 0
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=journey,
        org_unit=journey.org_unit,
        changes={
            "status": [before, "active"],
            "version": [None, version.number],
            "migrated": [0, moved],
        },
    )
    transaction.on_commit(forget_interests)
    _advance_soon()
    return journey


def _migrate(journey: Journey, version: Version) -> int:
    """Those in older versions move where their step is in the new one as the same kind
    of step (a wait stays a wait); the rest stay on theirs."""
    steps = definition_of(version.pk).steps
    moved = 0
    older = Enrolment.objects.filter(journey=journey, status=ACTIVE).exclude(version=version)
    for old_id in older.values_list("version_id", flat=True).distinct():
        same = [
            step_id
            for step_id, step in definition_of(old_id).steps.items()
            if step_id in steps and steps[step_id].type == step.type
        ]
        moved += older.filter(version_id=old_id, step__in=same).update(version=version)
    return moved


def _advance_soon() -> None:
    from luukku.journeys.tasks import advance_journeys

    enqueue_on_commit(advance_journeys)


@transaction.atomic
def set_status(journey: Journey, status: str, *, by: User | None) -> Journey:
    """Pause (everyone held in place), resume (they go on, nothing sent twice), or
    archive (everyone inside leaves)."""
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    before = journey.status
    allowed: dict[str, list[str]] = {
        Journey.Status.PAUSED: [Journey.Status.ACTIVE],
        Journey.Status.ACTIVE: [Journey.Status.PAUSED],
        Journey.Status.ARCHIVED: [
            Journey.Status.ACTIVE,
            Journey.Status.PAUSED,
            Journey.Status.DRAFT,
        ],
    }
    if before not in allowed.get(status, []):
        raise JourneyError(
            _("A journey that is %(before)s cannot become %(after)s.")
            % {"before": journey.get_status_display(), "after": Journey.Status(status).label}
        )
    journey.status = status
    journey.save(update_fields=["status", "updated_at"])
    if status == Journey.Status.ARCHIVED:
        _take_everyone_out(journey, reason="archived")
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=journey,
        org_unit=journey.org_unit,
        changes={"status": [before, status]},
    )
    transaction.on_commit(forget_interests)
    if status == Journey.Status.ACTIVE:
        _advance_soon()
    return journey


def _take_everyone_out(journey: Journey, *, reason: str) -> None:
    inside = Enrolment.objects.select_for_update().filter(journey=journey, status=ACTIVE)
    while _take_out(journey, inside.order_by("pk")[:1000], reason=reason):
        pass


def _take_out(journey: Journey, rows: Any, *, reason: str) -> int:
    """End the active enrolments of `rows` (locked) at once, wherever they are; how many."""
    now = timezone.now()
    found = [(v, s) for _j, v, s in store.load(rows) if s.status == ACTIVE]
    moved = Moved()
    for version_id, state in found:
        state.context["exit"] = reason
        end(state, EXITED, now)
        moved.ending(journey, version_number(version_id), state)
    store.save([s for _v, s in found], now)
    moved.write()
    return len(found)


@transaction.atomic
def enrol_person(
    journey: Journey,
    person: Person,
    *,
    key: str = "",
    entry: dict[str, Any] | None = None,
    by: User | None,
    now: datetime.datetime | None = None,
) -> Enrolment | None:
    """Put a person into an active journey by hand or through the API, and take its
    first steps; None when they are in already or the re-entry rule keeps them out."""
    journey = Journey.objects.select_related("org_unit", "purpose").get(pk=journey.pk)
    if journey.status != Journey.Status.ACTIVE or journey.current_id is None:
        raise JourneyError(_("Only an active journey takes persons in."))
    now = now or timezone.now()
    moved = Moved()
    pair = enrol(journey, person.pk, key=key[:100], entry=entry, now=now, moved=moved)
    if pair is None:
        return None
    move_states(journey, [pair], now, moved=moved)
    moved.write()
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=person,
        org_unit=journey.org_unit,
        changes={"journey": [None, journey.name]},
        object_repr=str(person),
    )
    return Enrolment.objects.get(pk=pair[1].id)


@transaction.atomic
def remove_person(enrolment: Enrolment, *, by: User | None) -> Enrolment:
    """Take a person out of a journey at once, wherever they are."""
    journey = enrolment.journey
    if _take_out(
        journey, Enrolment.objects.select_for_update().filter(pk=enrolment.pk), reason="removed"
    ):
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=enrolment.person,
            org_unit=journey.org_unit,
            changes={"journey": [journey.name, None]},
            object_repr=str(enrolment.person),
        )
    enrolment.refresh_from_db()
    return enrolment


@transaction.atomic
def new_message(
    journey: Journey, *, name: str, channels: str = Campaign.Channels.EMAIL, by: User | None
) -> Campaign:
    """A message for one of the journey's send steps, its content written as a
    campaign's is."""
    campaign = Campaign.objects.create(
        name=f"{journey.name}: {name}"[:200],
        kind=Campaign.Kind.JOURNEY,
        org_unit=journey.org_unit,
        purpose=journey.purpose,
        channels=channels,
        default_language=journey.org_unit.language or "nb",
        created_by=by,
    )
    audit.record(actor=by, action=AuditEntry.Action.CREATE, obj=campaign, org_unit=journey.org_unit)
    return campaign


def messages_of(journey: Journey) -> list[Campaign]:
    """The messages the journey's versions send."""
    ids: set[int] = set()
    for raw in journey.versions.values_list("definition", flat=True):
        for step in (raw or {}).get("steps", {}).values():
            if step.get("type") == "send" and isinstance(step.get("message"), int):
                ids.add(step["message"])
    return list(Campaign.objects.filter(pk__in=ids, kind=Campaign.Kind.JOURNEY).order_by("pk"))
