"""Compile a gettext catalog (.po) to .mo without GNU gettext, using Babel.

`make` runs this so a fresh machine needs nothing but Python.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def compile_catalog(po_path: Path, mo_path: Path) -> None:
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    with mo_path.open("wb") as mo_file:
        write_mo(mo_file, catalog, use_fuzzy=False)


if __name__ == "__main__":
    compile_catalog(Path(sys.argv[1]), Path(sys.argv[2]))
