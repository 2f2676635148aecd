import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from luukku.core.actions import people
from luukku.core.actions.audit import audit_channel
from luukku.core.models import Organization, OrgUnit, Role, User


class Command(BaseCommand):
    help = "Create an administrator of the whole organization (all top-level units)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", help="the password; asked for interactively when not given"
        )

    def handle(self, *args: Any, username: str, email: str, password: str | None, **o: Any) -> None:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} exists already.")
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if len(password) < 8:
            raise CommandError("The password must have at least 8 characters.")
        with audit_channel("cli"), transaction.atomic():
            user = people.create_user(
                organization=Organization.objects.first(),
                username=username,
                email=email,
                password=password,
                is_superuser=True,
                by=None,
            )
            for unit in OrgUnit.objects.filter(parent__isnull=True):
                people.grant_role(user=user, org_unit=unit, role=Role.ADMINISTRATOR, by=None)
        self.stdout.write(self.style.SUCCESS(f"Administrator {username} created."))
