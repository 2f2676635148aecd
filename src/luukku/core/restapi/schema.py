from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    """A request body that rejects fields it does not know."""

    model_config = ConfigDict(extra="forbid")
