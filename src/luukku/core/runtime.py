"""Settings of the Python runtime for long-running Luukku processes."""

from __future__ import annotations

import gc

# Objects allocated between young-generation collections (CPython's default is 700).
# A request that handles 10,000 lines allocates hundreds of thousands of short-lived
# objects, nearly none in reference cycles; collecting every 700 walked them again and
# again for nothing.
YOUNG_THRESHOLD = 50_000


def settle_memory() -> None:
    """Move everything loaded at start-up (Django, the apps, their modules) out of the
    garbage collector's view, and collect the young generation less often. Start-up
    objects never become garbage, yet every full collection walked them: a
    10,000-line event batch spent a fifth of its time there, and another tenth in
    young-generation collections."""
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, gen1, gen2)
