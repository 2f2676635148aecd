"""How much of an agent's capacity their open cases take.

An agent's capacity is a number of cases at a time; a case takes a share of it by its
channel (`ChannelWeight`, in hundredths of a case): a chat or a phone call all of one,
a mail perhaps half, since it waits between answers. On PostgreSQL the trigger of
migrations desk 0011/0014 keeps each agent's sum in `desk_agentload`; here it is counted
from the cases (the embedded SQLite) or read from there.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from luukku.core.actions import audit
from luukku.core.models import AuditEntry, User
from luukku.desk.models import DONE, ONE_CASE, AgentLoad, Case, CaseChannel, ChannelWeight

MOST = 10 * ONE_CASE  # a case weighs at most ten

# Weights change seldom; read again at most every WEIGHTS_SECONDS (at once in the
# process that changed them).
WEIGHTS_SECONDS = 10.0
_known: tuple[float, dict[str, int]] | None = None


def weights() -> dict[str, int]:
    """Each channel's weight in hundredths of a case (every channel named)."""
    global _known
    if _known is not None and time.monotonic() - _known[0] < WEIGHTS_SECONDS:
        return _known[1]
    chosen = dict(ChannelWeight.objects.values_list("channel", "weight"))
    found = {channel: chosen.get(channel, ONE_CASE) for channel in CaseChannel.values}
    _known = (time.monotonic(), found)
    return found


def forget_weights(*_args: object, **_kwargs: object) -> None:
    global _known
    _known = None


post_save.connect(forget_weights, sender=ChannelWeight, dispatch_uid="channel-weights")
post_delete.connect(forget_weights, sender=ChannelWeight, dispatch_uid="channel-weights-d")


def size_of(case: Case | None) -> int:
    """What the case takes of its agent's capacity (a case not yet known: one)."""
    if case is None:
        return ONE_CASE
    return weights().get(case.channel, ONE_CASE)


def loads_of(user_ids: Iterable[int]) -> dict[int, int]:
    """Each agent's load in hundredths of a case (absent: none)."""
    ids = list(user_ids)
    if connection.vendor == "postgresql":
        return dict(AgentLoad.objects.filter(user_id__in=ids).values_list("user_id", "load_units"))
    return counted_loads(ids)


def counted_loads(user_ids: list[int]) -> dict[int, int]:
    """`loads_of`, counted from the open cases themselves."""
    per_channel = weights()
    found: dict[int, int] = {}
    counted = (
        Case.objects.filter(assignee_id__in=user_ids)
        .exclude(status__in=DONE)
        .values("assignee_id", "channel")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "channel", "n")
    )
    for user_id, channel, n in counted:
        found[user_id] = found.get(user_id, 0) + n * per_channel.get(channel, ONE_CASE)
    return found


def fits(load: int, size: int, capacity: int) -> bool:
    """Whether a case of `size` still fits: an agent with nothing (and any capacity)
    takes any one case, however much it weighs."""
    return capacity > 0 and (load == 0 or load + size <= capacity * ONE_CASE)


@transaction.atomic
def save_weights(chosen: dict[str, int], *, by: User | None) -> dict[str, list[int]]:
    """Set the channels' weights; every agent's load is counted again with them.
    Returns what changed (channel: [before, after])."""
    unknown = set(chosen) - set(CaseChannel.values)
    if unknown:
        raise ValidationError(_("Unknown channels: %(names)s") % {"names": ", ".join(unknown)})
    wrong = [c for c, w in chosen.items() if not 0 <= w <= MOST]
    if wrong:
        raise ValidationError(
            _("A case weighs from 0 to 10 cases: %(names)s") % {"names": ", ".join(wrong)}
        )
    forget_weights()
    before = weights()
    changed = {c: [before[c], w] for c, w in chosen.items() if before.get(c) != w}
    for channel, (old, weight) in changed.items():
        row, _created = ChannelWeight.objects.update_or_create(
            channel=channel, defaults={"weight": weight}
        )
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=row,
            changes={"weight": [old / ONE_CASE, weight / ONE_CASE]},
        )
    if changed:
        recount_loads()
    return changed


# With the cases table locked against writes (a case changing now waits, one changing
# already is waited for), every agent's count and load is worked out again.
_RECOUNT = """
LOCK TABLE desk_case IN SHARE MODE;
UPDATE desk_agentload SET open_cases = 0, load_units = 0
    WHERE open_cases <> 0 OR load_units <> 0;
INSERT INTO desk_agentload (user_id, open_cases, load_units)
    SELECT c.assignee_id, COUNT(*), SUM(COALESCE(w.weight, 100))
    FROM desk_case c LEFT JOIN desk_channelweight w ON w.channel = c.channel
    WHERE c.assignee_id IS NOT NULL AND c.status NOT IN ('resolved', 'closed')
    GROUP BY c.assignee_id
ON CONFLICT (user_id) DO UPDATE
    SET open_cases = EXCLUDED.open_cases, load_units = EXCLUDED.load_units;
"""


def recount_loads() -> None:
    """Count every agent's open cases and load from the cases (PostgreSQL's kept sums;
    the embedded database counts them each time anyway)."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_RECOUNT)
