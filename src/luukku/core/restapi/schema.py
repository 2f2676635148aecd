from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from ninja import Schema
from pydantic import AfterValidator, ConfigDict


class StrictSchema(Schema):
    """A request body that rejects fields it does not know."""

    model_config = ConfigDict(extra="forbid")


def normalized_email(value: str) -> str:
    """A syntactically valid address, normalized; reserved test domains (`.test`) allowed."""
    try:
        result = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return str(result.normalized)


Email = Annotated[str, AfterValidator(normalized_email)]
