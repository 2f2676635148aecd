from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from luukku.core.actions.tokens import TokenError, authenticate_token
from luukku.core.models import User


class BearerToken(HttpBearer):
    """`Authorization: Bearer lk_...` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        try:
            user = authenticate_token(token)
        except TokenError as exc:
            raise AuthenticationError(message=str(exc)) from None
        request.user = user
        return user


class StaffSession(SessionAuth):
    """The staff UI's session cookie (with CSRF protection on writes)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if isinstance(user, User) and user.is_authenticated and user.is_active:
            return user
        return None


def api_auth() -> list[HttpBearer | SessionAuth]:
    return [BearerToken(), StaffSession()]
