"""Finding and filling in standard answers.

Templates are Liquid, in the bounded, lenient environment of `core.templating`: an
unknown variable renders as nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from liquid.exceptions import LiquidError

from luukku.core.models import User
from luukku.core.templating import lenient as _liquid
from luukku.desk.models import Case, StandardAnswer


class AnswerError(ValueError):
    pass


def check_template(body: str) -> None:
    """A template that cannot be read is refused when saved, not when an agent uses it."""
    try:
        _liquid.from_string(body)
    except LiquidError as exc:
        raise AnswerError(_("The text is not valid Liquid: %(error)s") % {"error": exc}) from None


def answers_for(case: Case, text: str = "", language: str = "") -> QuerySet[StandardAnswer]:
    """Active answers of the case's unit and the units above it, in the customer's language
    (or for every language), those whose title or text contains `text` first."""
    above = case.org_unit.path_ids()
    answers = StandardAnswer.objects.filter(is_active=True, org_unit_id__in=above)
    if language:
        answers = answers.filter(Q(language="") | Q(language=language))
    if text:
        answers = answers.filter(Q(title__icontains=text) | Q(body__icontains=text))
    return answers.order_by("title")


def _variables(case: Case, agent: User | None) -> dict[str, Any]:
    person = case.person
    return {
        "customer": {
            "first_name": person.first_name if person else "",
            "last_name": person.last_name if person else "",
            "name": person.full_name if person else "",
        },
        "case": {"number": case.number, "subject": case.subject, "status": case.status},
        "agent": {
            "first_name": agent.first_name if agent else "",
            "name": agent.get_full_name() if agent else "",
        },
    }


def fill_in(answer: StandardAnswer, case: Case, agent: User | None) -> str:
    try:
        return str(_liquid.from_string(answer.body).render(**_variables(case, agent)))
    except LiquidError as exc:
        raise AnswerError(
            _("The standard answer could not be filled in: %(error)s") % {"error": exc}
        ) from None
