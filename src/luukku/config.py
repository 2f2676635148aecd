"""Configuration read from the environment, and the production safety check.

The settings themselves are read in luukku.settings; the README lists them.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "luukku-insecure-development-key-change-me"  # noqa: S105


class ConfigurationError(RuntimeError):
    """Raised when Luukku is started in production mode without safe settings."""


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def var_dir() -> Path:
    return Path(os.environ.get("LUUKKU_VAR_DIR", "var")).resolve()


def production_problems(
    *, debug: bool, secret_key: str, allowed_hosts: list[str], email_backend: str = ""
) -> list[str]:
    """What must be set before Luukku may serve in production mode."""
    if debug:
        return []
    problems = []
    if secret_key == DEFAULT_SECRET_KEY or len(secret_key) < 32:
        problems.append(
            "LUUKKU_SECRET_KEY is unset or too short: set it to a random string of at least "
            "32 characters (for example: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if not allowed_hosts:
        problems.append(
            "LUUKKU_ALLOWED_HOSTS is unset: set it to the host names Luukku is served under, "
            "comma-separated (for example: crm.example.org)."
        )
    if email_backend.endswith("console.EmailBackend"):
        problems.append(
            "LUUKKU_SMTP_URL is unset: set it to the mail server for system mail such as "
            "password links (for example: smtp://user:password@mail.example.org:587?starttls=1); "
            "without it those mails would be printed to the log."
        )
    return problems


def verify_production_settings() -> None:
    """Refuse to serve with unsafe settings when LUUKKU_DEBUG is off."""
    from django.conf import settings

    problems = production_problems(
        debug=settings.DEBUG,
        secret_key=settings.SECRET_KEY,
        allowed_hosts=list(settings.ALLOWED_HOSTS),
        email_backend=settings.EMAIL_BACKEND,
    )
    if problems:
        raise ConfigurationError(
            "Luukku will not start in production mode (LUUKKU_DEBUG is off):\n- "
            + "\n- ".join(problems)
            + "\nFor local development, set LUUKKU_DEBUG=1 instead."
        )
