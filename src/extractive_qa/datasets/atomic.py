"""Write a directory beside its final place and move it there in one rename.

A stage killed while saving (out of memory, SIGKILL, a full disk) must not
leave a half-written artifact that a later stage loads. Writing into a hidden
sibling and renaming keeps the previous version whole until the new one is
complete; both live on one filesystem, so the rename is atomic.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)


def replace_directory(target: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(staging)`` on an empty sibling folder of ``target``, then
    put that folder in ``target``'s place; on failure ``target`` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Left by a save that was killed before it could clean up.
    for stale in target.parent.glob(f".{target.name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent)
    try:
        write(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = None
    if target.exists():
        previous = target.with_name(f".{target.name}.previous-{uuid.uuid4().hex[:8]}")
        os.rename(target, previous)
    os.rename(staging, target)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    logger.debug("wrote %s atomically", target)
