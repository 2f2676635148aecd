"""Settings of the Python runtime for long-running Luukku processes."""

from __future__ import annotations

import gc


def settle_memory() -> None:
    """Move everything loaded at start-up (Django, the apps, their modules) out of the
    garbage collector's view. It never becomes garbage, yet the collector would walk it
    on every full collection: a 10,000-line event batch spent a fifth of its time there."""
    gc.collect()
    gc.freeze()
