"""Delivery receipts from the SMS provider: it posts each message's status to the
callback address given when the message was sent (`/sms/status/?origin=<kind>:<id>`),
signed with the account's token. A receipt with a wrong signature changes nothing; a
good one is told to whoever sent the message (channels/handlers.py `tell`)."""

from __future__ import annotations

import hmac
import logging
import urllib.parse

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from luukku.channels import handlers
from luukku.channels.sms.provider import NotConfigured, Provider, signature

logger = logging.getLogger("luukku.channels.sms")

# The provider's statuses, as what they mean for the message.
FINAL = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}


def callback_url(origin: str) -> str:
    query = urllib.parse.urlencode({"origin": origin})
    return f"{settings.LUUKKU_BASE_URL}{reverse('sms_status')}?{query}"


@csrf_exempt  # the provider posts without a session; the signature authenticates it
@require_POST
def status(request: HttpRequest) -> HttpResponse:
    try:
        provider = Provider.from_settings()
    except NotConfigured:
        return HttpResponseForbidden("No SMS provider is configured.")
    url = f"{settings.LUUKKU_BASE_URL}{request.get_full_path()}"
    params = {name: request.POST[name] for name in request.POST}
    expected = signature(provider.token, url, params)
    given = request.headers.get("X-Twilio-Signature", "")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        logger.warning("an SMS receipt with a wrong signature was refused")
        return HttpResponseForbidden("Wrong signature.")
    outcome = FINAL.get(params.get("MessageStatus", "").lower())
    if outcome:
        error = params.get("ErrorCode", "")
        handlers.tell(request.GET.get("origin", ""), outcome, f"error {error}" if error else "")
    return HttpResponse(status=204)
