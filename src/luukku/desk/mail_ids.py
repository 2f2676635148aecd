"""How our replies are recognized when customers answer them."""

from __future__ import annotations

import re

from luukku.desk.models import Case, Message

# The case number in a subject: "Re: Leaking shower [#1042]".
SUBJECT_TOKEN = re.compile(r"\[#(\d{1,18})\]")
OUR_ID = re.compile(r"<luukku\.(\d+)\.")


def our_message_id(case: Case, message: Message, domain: str) -> str:
    """The Message-ID of a reply we send; an answer to it names the case."""
    return f"<luukku.{case.number}.{message.pk}@{domain}>"
