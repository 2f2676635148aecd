"""The SMS provider: Twilio's Messages API, or any service that speaks it.

Configured by one URL, `LUUKKU_SMS_URL`: `twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com`
(HTTPS), or `twilio+http://...@127.0.0.1:8025` for a local test double; the sender by
`LUUKKU_SMS_SENDER` (a number in E.164 or an alphanumeric name of up to 11 characters).
A message is `POST /2010-04-01/Accounts/{sid}/Messages.json` with `To`, `From` and
`Body`, authenticated with the account id and token (HTTP Basic); the answer is 201 with
the message's `sid`, or an error with a `message`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

TIMEOUT = 15  # seconds


class NotConfigured(Exception):
    """No SMS provider is set up."""


class TemporaryError(Exception):
    """The provider could not take the message now (unreachable, timed out, 5xx, 429)."""


class Refused(Exception):
    """The provider refused the message for good (a 4xx with its reason)."""


@dataclass(frozen=True)
class Provider:
    base_url: str
    account: str
    token: str
    sender: str

    @classmethod
    def from_settings(cls) -> Provider:
        url = settings.LUUKKU_SMS_URL
        if not url:
            raise NotConfigured("LUUKKU_SMS_URL is not set")
        parsed = urllib.parse.urlsplit(url)
        schemes = {"twilio": "https", "twilio+http": "http"}
        if parsed.scheme not in schemes or not parsed.username or not parsed.password:
            raise NotConfigured(
                "LUUKKU_SMS_URL must look like twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com"
            )
        host = parsed.hostname or ""
        port = f":{parsed.port}" if parsed.port else ""
        return cls(
            base_url=f"{schemes[parsed.scheme]}://{host}{port}",
            account=urllib.parse.unquote(parsed.username),
            token=urllib.parse.unquote(parsed.password),
            sender=settings.LUUKKU_SMS_SENDER,
        )

    def send(self, to: str, text: str, *, sender: str = "", status_callback: str = "") -> str:
        """Hand one message to the provider; its id for it. With `status_callback`, the
        provider posts the message's delivery receipts there (channels/sms/receipts.py)."""
        account = urllib.parse.quote(self.account, safe="")
        form = {"To": to, "From": sender or self.sender, "Body": text}
        if status_callback:
            form["StatusCallback"] = status_callback
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            f"{self.base_url}/2010-04-01/Accounts/{account}/Messages.json",
            data=urllib.parse.urlencode(form).encode(),
            method="POST",
            headers={
                "Authorization": "Basic "
                + base64.b64encode(f"{self.account}:{self.token}".encode()).decode(),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            reason = _reason(error)
            if error.code == 429 or error.code >= 500:
                raise TemporaryError(f"HTTP {error.code}: {reason}") from error
            raise Refused(f"HTTP {error.code}: {reason}") from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise TemporaryError(f"the provider did not answer: {error}") from error
        return str(answer.get("sid", ""))


def signature(token: str, url: str, params: dict[str, str]) -> str:
    """The provider's signature of a callback (X-Twilio-Signature): HMAC-SHA1 with the
    auth token over the full URL followed by each POST parameter's name and value, in
    the order of the names, base64-encoded."""
    message = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        return error.reason or ""
    return str(body.get("message") or error.reason or "")
