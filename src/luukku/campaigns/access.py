"""Who may see and send which campaigns: those with `campaign.manage` in the campaign's
unit or one above it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from luukku.campaigns.audience import audience
from luukku.campaigns.models import Campaign
from luukku.core.access import Perm, units_where
from luukku.core.models import User
from luukku.customers import access as customer_access
from luukku.customers.models import Person


def campaigns_visible_to(actor: User) -> QuerySet[Campaign]:
    return Campaign.objects.filter(org_unit__in=units_where(actor, Perm.CAMPAIGN_MANAGE))


def campaign_for_actor(actor: User, pk: int) -> Campaign:
    found = campaigns_visible_to(actor).select_related("org_unit", "purpose").filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such campaign."))
    return found


def visible_audience(actor: User, campaign: Campaign) -> QuerySet[Person]:
    """The campaign's audience as far as the viewer may see persons, newest first: whom
    the content can be previewed for."""
    return (
        audience(campaign)
        .filter(pk__in=customer_access.persons_visible_to(actor).values("pk"))
        .order_by("-pk")
    )
