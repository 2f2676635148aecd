"""The `luukku` command."""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "serve": "run the web server, the background worker and the receivers",
    "worker": "run background jobs and the scheduler (start several to scale out)",
    "migrate": "create or update the database tables",
    "demo": "load the demo organization (safe to run again)",
    "createadmin": "create an administrator of the whole organization",
    "token": "create, list or revoke personal API tokens",
    "import": "import persons or organizations from CSV/XLSX (all-or-nothing, --dry-run)",
    "check": "check the configuration",
    "compilemessages": "compile translations (needs GNU gettext)",
    "collectstatic": "gather static files for a front proxy",
}


def usage() -> str:
    lines = ["usage: luukku <command> [options]", "", "commands:"]
    lines += [f"  {name:<16}{summary}" for name, summary in COMMANDS.items()]
    lines += [
        "",
        "Run 'luukku <command> --help' for a command's options.",
        "Any other Django management command also works, e.g. 'luukku shell'.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["luukku", *argv])
