import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from luukku.core.actions.audit import audit_channel
from luukku.core.actions.tokens import create_api_token, revoke_api_token
from luukku.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it (shown only once)")
        create.add_argument("--user", required=True, help="username the token acts as")
        create.add_argument("--name", default="cli", help="a label for the token")
        create.add_argument("--expires-days", type=int, help="days until the token expires")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        with audit_channel("cli"):
            getattr(self, f"do_{action}")(**options)

    def do_create(self, *, user: str, name: str, expires_days: int | None, **o: Any) -> None:
        expires_at = None
        if expires_days is not None:
            if expires_days < 1:
                raise CommandError("--expires-days must be at least 1.")
            expires_at = timezone.now() + datetime.timedelta(days=expires_days)
        owner = self._user(user)
        if not owner.is_active:
            raise CommandError(f"User {user!r} is deactivated.")
        _token, plain = create_api_token(user=owner, name=name, expires_at=expires_at, by=None)
        self.stdout.write(plain)

    def do_list(self, *, user: str, **o: Any) -> None:
        for token in ApiToken.objects.filter(user=self._user(user)):
            state = "active" if token.is_active else "revoked/expired"
            self.stdout.write(f"{token.prefix}  {token.name:<20} {state}")

    def do_revoke(self, *, prefix: str, **o: Any) -> None:
        token = ApiToken.objects.filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"No token with prefix {prefix!r}.")
        revoke_api_token(token, by=None)
        self.stdout.write(f"Revoked {prefix}.")
