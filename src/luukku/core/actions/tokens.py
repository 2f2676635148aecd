from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.core.actions import audit
from luukku.core.models import ApiToken, AuditEntry, User

TOKEN_PREFIX = "lk"  # noqa: S105 (a tag, not a secret)


class TokenError(Exception):
    """A presented token is not valid; the message says why."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    *, user: User, name: str, expires_at: datetime.datetime | None = None, by: User | None
) -> tuple[ApiToken, str]:
    """Create a token for `user`. Returns the row and the plain token, which is never stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, secret_hash=_hash(secret), expires_at=expires_at
    )
    audit.record(
        actor=by,
        action=AuditEntry.Action.TOKEN,
        obj=user,
        org_unit=user.primary_unit(),
        changes={"api_token": [None, f"created {name} ({prefix})"]},
    )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by: User | None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=by,
            action=AuditEntry.Action.TOKEN,
            obj=token.user,
            org_unit=token.user.primary_unit(),
            changes={"api_token": [token.prefix, f"revoked {token.name} ({token.prefix})"]},
        )
    return token


def authenticate_token(raw: str) -> User:
    """The active user a token belongs to, or TokenError saying why not."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise TokenError(_("The token is malformed."))
    _tag, prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        raise TokenError(_("The token is not valid."))
    if token.revoked_at is not None:
        raise TokenError(_("The token has been revoked."))
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenError(_("The token has expired."))
    if not token.user.is_active:
        raise TokenError(_("The token's user is deactivated."))
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
