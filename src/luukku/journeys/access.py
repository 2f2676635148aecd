"""Who may see and run which journeys: those with `journey.manage` in the journey's unit
or one above it. The persons in a journey are shown only as far as the viewer may see
persons."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from luukku.core.access import Perm, units_where
from luukku.core.models import User
from luukku.customers import access as customer_access
from luukku.journeys.models import Enrolment, Journey


def journeys_visible_to(actor: User) -> QuerySet[Journey]:
    return Journey.objects.filter(org_unit__in=units_where(actor, Perm.JOURNEY_MANAGE))


def journey_for_actor(actor: User, pk: int) -> Journey:
    found = journeys_visible_to(actor).select_related("org_unit", "purpose").filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such journey."))
    return found


def visible_enrolments(actor: User, journey: Journey) -> QuerySet[Enrolment]:
    persons = customer_access.persons_visible_to(actor).values("pk")
    return journey.enrolments.filter(person_id__in=persons)
