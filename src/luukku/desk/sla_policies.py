"""Setting up SLA policies: their conditions checked on save, open cases recomputed."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from luukku.core.actions import audit
from luukku.core.jobs import enqueue_on_commit
from luukku.core.models import AuditEntry, User
from luukku.customers.models import RelationshipType
from luukku.desk import segment_directory
from luukku.desk.models import CaseChannel, Category, Priority, Queue, SlaPolicy
from luukku.desk.sla import CONDITIONS
from luukku.desk.tasks import recompute_sla

POLICY_FIELDS = (
    "name",
    "org_unit",
    "position",
    "is_active",
    "conditions",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "warn_at_percent",
)


def check_conditions(conditions: dict[str, Any]) -> None:
    """Refuse conditions that name something unknown, with what it is."""
    if not isinstance(conditions, dict):
        raise ValidationError(_("Conditions must map a condition to its values."))
    unknown = sorted(set(conditions) - set(CONDITIONS))
    if unknown:
        raise ValidationError(
            _("Unknown condition: %(names)s. Known: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(CONDITIONS)}
        )
    for name, values in conditions.items():
        if not isinstance(values, list):
            raise ValidationError(_("The values of “%(name)s” must be a list.") % {"name": name})
    queues = Queue.objects.filter(pk__in=_ints(conditions.get("queue")))
    categories = Category.objects.filter(pk__in=_ints(conditions.get("category")))
    types = RelationshipType.objects.filter(code__in=conditions.get("relationship") or [])
    allowed: dict[str, set[Any]] = {
        "priority": set(Priority.values),
        "channel": set(CaseChannel.values),
        "queue": set(queues.values_list("pk", flat=True)),
        "category": set(categories.values_list("pk", flat=True)),
        "relationship": set(types.values_list("code", flat=True)),
        "segment": segment_directory.existing(str(v) for v in conditions.get("segment") or []),
    }
    for name, values in conditions.items():
        missing = [str(v) for v in values if v not in allowed[name]]
        if missing:
            raise ValidationError(
                _("The condition “%(name)s” names what does not exist (any more): %(values)s.")
                % {"name": name, "values": ", ".join(missing)}
            )


def _ints(values: Any) -> list[int]:
    return [v for v in values or [] if isinstance(v, int)]


@transaction.atomic
def save_policy(policy: SlaPolicy, *, by: User | None) -> SlaPolicy:
    """Create or change a policy; the open cases it may concern are recomputed after."""
    check_conditions(policy.conditions)
    if not any(
        (policy.first_response_minutes, policy.next_response_minutes, policy.resolution_minutes)
    ):
        raise ValidationError(_("Give the policy at least one target."))
    created = policy.pk is None
    before = {} if created else audit.snapshot(SlaPolicy.objects.get(pk=policy.pk), POLICY_FIELDS)
    policy.full_clean()
    policy.save()
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=policy,
        org_unit=policy.org_unit,
        changes=audit.diff(before, audit.snapshot(policy, POLICY_FIELDS)),
    )
    enqueue_on_commit(recompute_sla, policy.pk)
    return policy
