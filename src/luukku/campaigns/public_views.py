"""The addresses in campaign mail: the open pixel, link clicks, the unsubscribe link
(also the List-Unsubscribe header's one-click target) and the preference link. Each is
signed (campaigns/tracking.py); a changed or made-up one gets a plain "not valid"
answer, records nothing, and never redirects anywhere."""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from luukku.campaigns import engagement, tracking
from luukku.campaigns.models import Delivery, Link
from luukku.consent import links as consent_links
from luukku.consent import public_views as consent_views

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _delivery(kind: str, delivery_id: int, signature: str, *parts: int) -> Delivery:
    if not tracking.valid(signature, kind, delivery_id, *parts):
        raise Http404("This link is not valid.")
    found = Delivery.objects.select_related("run__campaign__purpose").filter(pk=delivery_id).first()
    if found is None:
        raise Http404("This link is not valid.")
    return found


def _agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:500]


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@never_cache
@require_GET
def opened(request: HttpRequest, delivery_id: int, signature: str) -> HttpResponse:
    delivery = _delivery("open", delivery_id, signature)
    engagement.record_open(delivery, user_agent=_agent(request), ip=_ip(request))
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def clicked(request: HttpRequest, delivery_id: int, position: int, signature: str) -> HttpResponse:
    delivery = _delivery("click", delivery_id, signature, position)
    links = Link.objects.filter(run_id=delivery.run_id, language=delivery.language)
    # A variant without content of its own in the language was sent the content's links.
    link = (
        links.filter(variant=delivery.variant, position=position).first()
        if delivery.variant
        else None
    ) or links.filter(variant="", position=position).first()
    if link is None:
        raise Http404("This link is not valid.")
    engagement.record_click(delivery, link, user_agent=_agent(request), ip=_ip(request))
    return HttpResponseRedirect(link.url)


@csrf_exempt  # RFC 8058: the mail client posts the one-click request without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, delivery_id: int, signature: str) -> HttpResponse:
    """The consent app's unsubscribe page for this person, purpose and channel; a POST
    withdraws there and is counted for the campaign here."""
    delivery = _delivery("unsubscribe", delivery_id, signature)
    token = consent_links.unsubscribe_token(
        delivery.person_id, delivery.run.campaign.purpose, delivery.channel
    )
    response: HttpResponse = consent_views.unsubscribe(request, token)
    if request.method == "POST" and response.status_code == 200:
        engagement.record_unsubscribe(delivery)
    return response


@never_cache
@require_GET
def preferences(request: HttpRequest, delivery_id: int, signature: str) -> HttpResponse:
    delivery = _delivery("preferences", delivery_id, signature)
    return HttpResponseRedirect(consent_links.preferences_link_of(delivery.person_id))
