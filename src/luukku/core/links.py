"""Absolute links into the staff UI, for mails sent later by jobs."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse


def password_link_template(request: HttpRequest) -> str:
    """The password-setting link with {uid} and {token} placeholders for the mail job."""
    path = reverse(
        "web:password_reset_confirm",
        kwargs={"uidb64": "UIDPLACEHOLDER", "token": "TOKENPLACEHOLDER"},
    )
    return (
        request.build_absolute_uri(path)
        .replace("UIDPLACEHOLDER", "{uid}")
        .replace("TOKENPLACEHOLDER", "{token}")
    )
