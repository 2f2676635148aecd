"""Who may see and build which segments: those with `segment.manage` in the segment's
unit or one above it; members are shown only as far as the viewer may see persons."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from luukku.core.access import Perm, units_where
from luukku.core.models import User
from luukku.customers import access as customer_access
from luukku.customers.models import Person
from luukku.segments.models import Membership, Segment


def segments_visible_to(actor: User) -> QuerySet[Segment]:
    return Segment.objects.filter(org_unit__in=units_where(actor, Perm.SEGMENT_MANAGE))


def segment_for_actor(actor: User, slug: str) -> Segment:
    segment = segments_visible_to(actor).select_related("org_unit").filter(slug=slug).first()
    if segment is None:
        raise Http404(_("No such segment."))
    return segment


def visible_members(actor: User, segment: Segment) -> QuerySet[Membership]:
    persons: QuerySet[Person] = customer_access.persons_visible_to(actor)
    return Membership.objects.filter(segment=segment, person__in=persons)
