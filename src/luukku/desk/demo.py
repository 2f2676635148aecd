"""Demo queues with their mailboxes (`<unit>@demo.luukku.test`), categories and cases for
`luukku demo`."""

from __future__ import annotations

import random

from django.db import transaction

from luukku.channels.models import Mailbox
from luukku.core.actions.calendars import parse_hours, save_calendar
from luukku.core.models import BusinessCalendar, OrgUnit, User
from luukku.customers.models import Person, Sensitivity
from luukku.desk import services
from luukku.desk.models import Case, Category, Priority, Queue, SlaPolicy, StandardAnswer
from luukku.desk.sla_policies import save_policy

QUEUES = [
    # unit slug, queue name, restricted, categories
    ("housing", "Housing", False, ["Repairs", "Keys and access", "Rent", "Moving in and out"]),
    ("dining", "Dining", False, ["Allergies", "Meal plans", "Feedback"]),
    ("fitness", "Fitness", False, ["Membership", "Classes", "Lost and found"]),
    ("kindergartens", "Kindergartens", False, ["Places", "Fees", "Daily matters"]),
    ("health", "Health reception", True, ["Appointments", "Prescriptions", "Certificates"]),
]

REQUESTS = {
    "housing": [
        ("The shower drain is blocked", "Water stays in the shower for hours. Flat 4B."),
        ("Lost my key card", "I lost my key card yesterday, can I get a new one?"),
        ("Radiator not working", "The radiator in my room is cold, it is 15 degrees inside."),
        ("Moving out in June", "When do I need to hand in the keys when I move out?"),
    ],
    "dining": [
        ("Gluten-free lunch", "Does the canteen in the library have gluten-free options?"),
        ("Meal plan refund", "I bought the semester meal plan twice by mistake."),
    ],
    "fitness": [
        ("Freeze membership", "I am on exchange next semester; can I pause my membership?"),
        ("Yoga class full", "The Tuesday yoga class is always full. Will there be another?"),
    ],
    "kindergartens": [
        ("Place from August", "We would like a place for our daughter from August."),
        ("Invoice question", "The invoice for March looks higher than usual."),
    ],
    "health": [
        ("New appointment", "I need an appointment about my recurring headaches."),
        ("Sick note", "I need a sick note for the exam on Friday."),
    ],
}

ANSWERS_DEMO = [
    (
        "nordby",
        "Thanks, we are on it",
        "en",
        'Hi {{ customer.first_name | default: "there" }},\n\nThank you for your message about '
        '"{{ case.subject }}". We are looking into it and will be back to you shortly.\n\n'
        "Best regards,\n{{ agent.name }}",
    ),
    (
        "nordby",
        "Takk, vi ser på det",
        "nb",
        'Hei {{ customer.first_name | default: "" }},\n\nTakk for meldingen om '
        "«{{ case.subject }}». Vi ser på saken og kommer tilbake til deg snart.\n\n"
        "Vennlig hilsen\n{{ agent.name }}",
    ),
    (
        "housing",
        "Repair booked",
        "",
        "Hi {{ customer.first_name }},\n\nA caretaker will come within three working days. "
        "Your case number is {{ case.number }}.\n\n{{ agent.name }}",
    ),
]

ANSWERS = [
    "Thank you for writing. We have passed this on and will be in touch shortly.",
    "Thanks! This is sorted now; let us know if anything else comes up.",
]


@transaction.atomic
def load_desk_demo(units: dict[str, OrgUnit], *, seed: int = 11) -> int:
    """Create the demo queues and cases once. Returns how many cases were made."""
    queues: dict[str, Queue] = {}
    categories: dict[str, list[Category]] = {}
    for slug, name, restricted, category_names in QUEUES:
        queue, _created = Queue.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "org_unit": units[slug],
                "sensitivity": Sensitivity.RESTRICTED if restricted else Sensitivity.NORMAL,
            },
        )
        queues[slug] = queue
        if queue.mailbox is None:
            queue.mailbox, _new = Mailbox.objects.get_or_create(
                address=f"{slug}@demo.luukku.test",
                defaults={"name": f"Nordby {name}", "org_unit": units[slug]},
            )
            queue.save(update_fields=["mailbox"])
        categories[slug] = [
            Category.objects.get_or_create(name=c, org_unit=units[slug], parent=None)[0]
            for c in category_names
        ]
    for unit_slug, title, language, body in ANSWERS_DEMO:
        StandardAnswer.objects.get_or_create(
            title=title, org_unit=units[unit_slug], defaults={"language": language, "body": body}
        )
    _service_levels(units["housing"].parent or units["housing"])
    if Case.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    customers = list(Person.objects.filter(sensitivity=Sensitivity.NORMAL).order_by("pk")[:400])
    workers = {
        "housing": User.objects.filter(username__in=["agent", "supervisor"]),
        "dining": User.objects.filter(username="agent"),
        "health": User.objects.filter(username="nurse"),
    }
    made = 0
    for slug, requests in REQUESTS.items():
        for round_ in range(3):
            for subject, text in requests:
                person = rng.choice(customers) if customers else None
                email = person.emailaddresss.first() if person else None
                case = services.open_case(
                    queue=queues[slug],
                    subject=subject,
                    by=None,
                    channel="email",
                    person=person,
                    first=services.NewMessage(
                        text=text, sender=email.address if email else "", subject=subject
                    ),
                )
                made += 1
                agent = next(iter(workers.get(slug, [])), None)
                if agent is None or round_ == 0:
                    continue
                services.reply(case, by=agent, text=ANSWERS[round_ - 1], version=case.version)
                if round_ == 2:
                    case.refresh_from_db()
                    case = services.classify_case(
                        case,
                        by=agent,
                        version=case.version,
                        category_id=rng.choice(categories[slug]).pk,
                    )
                    services.change_status(case, to="resolved", by=agent, version=case.version)
    return made


def _service_levels(top: OrgUnit) -> None:
    """Office hours on Norwegian working days, and two SLA policies, once."""
    if not BusinessCalendar.objects.filter(org_unit=top).exists():
        office = parse_hours("08:00-16:00")
        save_calendar(
            top,
            name="Nordby office hours",
            time_zone=top.time_zone,
            holiday_country="NO",
            de_facto_holidays=True,
            week=[office] * 5 + [(), ()],
            by=None,
        )
    if SlaPolicy.objects.filter(org_unit=top).exists():
        return
    urgent = {"priority": [Priority.URGENT, Priority.HIGH]}
    for position, name, conditions, first, following, resolution in (
        (10, "Urgent and high", urgent, 60, 120, 8 * 60),
        (20, "Standard", {}, 8 * 60, 8 * 60, 5 * 8 * 60),
    ):
        save_policy(
            SlaPolicy(
                org_unit=top,
                name=name,
                position=position,
                conditions=conditions,
                first_response_minutes=first,
                next_response_minutes=following,
                resolution_minutes=resolution,
            ),
            by=None,
        )
