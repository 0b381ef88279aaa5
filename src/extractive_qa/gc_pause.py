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

import functools
import gc
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

Function = TypeVar("Function", bound=Callable[..., Any])


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


def collector_paused_during(function: Function) -> Function:
    """``function`` with the cycle collector paused for each call.

    The wrapper keeps ``function``'s signature as its own: Kedro reads a node's
    inputs from the signature without following ``__wrapped__``, so a wrapper
    showing ``(*args, **kwargs)`` would accept any input name.
    """

    @functools.wraps(function)
    def paused(*args: Any, **kwargs: Any) -> Any:
        with cycle_collector_paused():
            return function(*args, **kwargs)

    paused.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
    return paused  # type: ignore[return-value]
