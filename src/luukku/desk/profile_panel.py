"""The person's cases on their profile: those the viewer may see, open ones first."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from luukku.core.models import User
from luukku.customers.models import Person
from luukku.desk.access import cases_visible_to
from luukku.desk.models import DONE

SHOWN = 10


def cases_panel(request: HttpRequest, actor: User, person: Person) -> str:
    visible = cases_visible_to(actor).filter(person=person).select_related("queue", "custom_status")
    open_cases = list(visible.exclude(status__in=DONE).order_by("-created_at")[:SHOWN])
    done = list(visible.filter(status__in=DONE).order_by("-updated_at")[:3])
    return render_to_string(
        "desk/_profile_cases.html",
        {"person": person, "open_cases": open_cases, "done_cases": done},
        request=request,
    )
