"""Consent: purposes, the append-only ledger of grants and withdrawals with their
evidence, the preference center, and the gate every marketing message passes."""
