"""Every UI string is translated into Norwegian Bokmål, Finnish and Swedish."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import luukku

PACKAGE = Path(luukku.__file__).parent
LANGUAGES = ["nb", "fi", "sv"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po").open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    messages = [m for m in catalog(language) if m.id]
    untranslated = [
        m.id
        for m in messages
        if not (all(m.string) if isinstance(m.string, tuple) else m.string) or m.fuzzy
    ]
    broken = [
        m.id
        for m in messages
        if isinstance(m.id, str)
        and set(PLACEHOLDER.findall(m.id)) != set(PLACEHOLDER.findall(m.string))
    ]

    assert messages
    assert untranslated == []
    assert broken == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_the_catalogs_hold_every_string_in_the_code(tmp_path: Path) -> None:
    """makemessages on a copy of the code finds nothing the catalogs lack."""
    copy = tmp_path / "luukku"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "vendor"))
    subprocess.run(
        [
            sys.executable,
            "-P",  # not the copy's directory on the path: its channels/ would hide Channels
            "-m",
            "django",
            "makemessages",
            "-l",
            "fi",
            "--no-location",
            "--settings",
            "luukku.settings",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    with (copy / "locale" / "fi" / "LC_MESSAGES" / "django.po").open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    known = {m.id for m in catalog("fi") if m.id}

    missing = sorted(str(m) for m in extracted - known)
    assert missing == [], "run `make makemessages` and translate the new strings"
