"""Python's cycle collector paused while many records are built at once.

Parsing a SQuAD document, decoding answers, ranking n-best lists and scoring
allocate a few containers (dicts, lists, tuples) per question. Each batch of
container allocations starts the cycle collector, and its older-generation passes
walk every object alive in the process, so with a large heap (another split, a
model, the logits) these stages grow faster than the data. The records they
build form no reference cycles, so reference counting frees them exactly as
before; the collector runs again once the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block (or, as ``@cycle_collector_paused()``,
    for each call of the function); restore its state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
