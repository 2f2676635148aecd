"""Consent's data: purposes and their texts, the ledger and the state derived from it."""

from luukku.consent.models.landing import LandingPage, Submission
from luukku.consent.models.ledger import (
    Action,
    AppendOnlyError,
    ConsentRecord,
    ConsentState,
    Source,
)
from luukku.consent.models.purposes import LawfulBasis, Purpose, PurposeText

__all__ = [
    "Action",
    "AppendOnlyError",
    "ConsentRecord",
    "ConsentState",
    "LandingPage",
    "LawfulBasis",
    "Purpose",
    "PurposeText",
    "Source",
    "Submission",
]
