"""How cases are named to customers, and how our replies are recognized when customers
answer them: our Message-ID, and the case token in the subject ("[#1042]" by default,
set per organization in `DeskSettings`)."""

from __future__ import annotations

import functools
import re

from luukku.desk.models import Case, DeskSettings, Message
from luukku.desk.models.settings import DEFAULT_SUBJECT_TOKEN

OUR_ID = re.compile(r"<luukku\.(\d+)\.")


def subject_token(case: Case) -> str:
    """The token a reply's subject carries: "[#1042]"."""
    settings = DeskSettings.of_unit(case.org_unit_id)
    return settings.subject_token.format(
        number=case.number, reference=f"{settings.case_prefix}{case.number}"
    )


@functools.lru_cache(maxsize=64)
def _token_patterns(token: str, prefix: str) -> tuple[re.Pattern[str], ...]:
    patterns = []
    for form in dict.fromkeys([token, DEFAULT_SUBJECT_TOKEN]):
        escaped = re.escape(form)
        number = r"(\d{1,18})"
        escaped = escaped.replace(re.escape("{number}"), number)
        escaped = escaped.replace(re.escape("{reference}"), re.escape(prefix) + number)
        patterns.append(re.compile(escaped, re.IGNORECASE))
    return tuple(patterns)


def case_numbers_in(subject: str, org_unit_id: int) -> list[int]:
    """The case numbers a subject names with the token of the unit's organization (or
    the default)."""
    settings = DeskSettings.of_unit(org_unit_id)
    found: list[int] = []
    for pattern in _token_patterns(settings.subject_token, settings.case_prefix):
        found += [int(n) for n in pattern.findall(subject) if int(n) not in found]
    return found


def our_message_id(case: Case, message: Message, domain: str) -> str:
    """The Message-ID of a reply we send; an answer to it names the case."""
    return f"<luukku.{case.number}.{message.pk}@{domain}>"
