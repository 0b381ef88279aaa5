"""Python's cycle collector paused while a large source is parsed and checked.

Parsing a SQuAD document allocates a few containers per question (dicts,
lists, strings). Each batch of allocations triggers the cycle collector, and
its full passes walk every object alive in the process, so with a large heap
(another split, a model) loading grows faster than the data. The records form
no reference cycles, so reference counting frees them exactly as before; the
collector only runs again once the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block; restore its state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
