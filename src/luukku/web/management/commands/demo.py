from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from luukku.campaigns.demo import load_campaign_demo
from luukku.consent.demo import load_consent_demo
from luukku.core.actions.audit import audit_channel
from luukku.core.demo import DEMO_PASSWORD, USERS, load_demo
from luukku.core.models import Organization, OrgUnit
from luukku.customers.demo import load_customer_demo
from luukku.desk.demo import load_desk_demo
from luukku.journeys.demo import load_journey_demo
from luukku.segments.demo import load_segment_demo


class Command(BaseCommand):
    help = (
        "Load the demo organization, its units, staff and teams. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password of the demo users")
        parser.add_argument(
            "--if-empty", action="store_true", help="only load when no organization exists yet"
        )
        parser.add_argument(
            "--persons", type=int, default=3000, help="how many demo customers (default 3000)"
        )

    def handle(
        self, *args: Any, password: str, if_empty: bool, persons: int, **options: Any
    ) -> None:
        if if_empty and Organization.objects.exists():
            self.stdout.write("An organization exists already; demo data not loaded.")
            return
        with audit_channel("cli"):
            organization = load_demo(password=password)
            units = {u.slug: u for u in OrgUnit.objects.filter(organization=organization)}
            made = load_customer_demo(units, persons=persons)
            cases = load_desk_demo(units)
            consents = load_consent_demo(units)
            segments = load_segment_demo(units)
            campaigns = load_campaign_demo(units)
            journeys = load_journey_demo(units)
        self.stdout.write(self.style.SUCCESS(f"Demo organization ready: {organization.name}"))
        if made:
            self.stdout.write(f"Created {made} demo customers with two years of history.")
        if cases:
            self.stdout.write(f"Created {cases} demo cases in the queues.")
        if consents:
            self.stdout.write(
                f"Recorded {consents} demo consents; a landing page at /p/f/fitness/."
            )
        if segments:
            self.stdout.write(f"Created {segments} demo segments.")
        if campaigns:
            self.stdout.write(f"Created {campaigns} demo campaigns; see /campaigns/.")
        if journeys:
            self.stdout.write(f"Created {journeys} demo journeys; see /journeys/.")
        self.stdout.write(f"Demo logins (password: {password}):")
        for user in USERS:
            roles = ", ".join(f"{role} in {unit}" for role, unit in user.roles)
            self.stdout.write(f"  {user.username:<12} {roles}")
