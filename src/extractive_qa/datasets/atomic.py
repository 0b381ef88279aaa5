"""Directory saves that a reader never sees half-written.

A stage killed while saving (out of memory, SIGKILL, a full disk) must not
leave a half-written artifact that a later stage loads. On a local disk the
directory is written into a hidden sibling and renamed into place: both live on
one filesystem, so the rename is atomic. Object stores have no rename; there
the directory is uploaded under a staging prefix and then published with its
marker file last (``publish_directory``).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

logger = logging.getLogger(__name__)


def current_umask() -> int:
    """The process umask (reading it means setting it; it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_directory(target: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(staging)`` on an empty sibling folder of ``target``, then
    put that folder in ``target``'s place; on failure ``target`` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Left by a save that was killed before it could clean up: a folder being
    # written, or the artifact it replaced, not yet removed.
    for pattern in (f".{target.name}.partial-*", f".{target.name}.previous-*"):
        for stale in target.parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)
    staging = tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent)
    # mkdtemp makes the folder private (0700); the artifact gets the
    # permissions any folder made here would, by the umask.
    os.chmod(staging, 0o777 & ~current_umask())
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


def publish_directory(
    fs: AbstractFileSystem, local_dir: str, target: str, marker: str
) -> None:
    """Upload ``local_dir`` to ``target`` on an object store, where readers go by
    ``marker`` (the file a finished save always has): they see the previous save,
    none, or the whole new one, never part of it.

    Object stores have no rename. The upload goes to a staging prefix first, so a
    kill while uploading (the slow part) leaves ``target`` as it was; publishing
    then removes the old marker first and copies the marker last, server side.
    """
    target = fs._strip_protocol(target).rstrip("/")
    # Left by a save that was killed before it could clean up.
    for stale in fs.glob(f"{target}.partial-*"):
        fs.rm(stale, recursive=True)
    staging = f"{target}.partial-{uuid.uuid4().hex[:8]}"
    try:
        fs.put(f"{local_dir}/", staging, recursive=True)
    except BaseException:
        # Best effort: the connection that failed may fail this too, and the
        # next save of the target removes what is left.
        try:
            fs.rm(staging, recursive=True)
        except Exception:
            logger.warning("could not remove the cut-short upload %s", staging)
        raise
    fs.invalidate_cache(staging)
    staged = sorted(fs.find(staging))
    if fs.exists(f"{target}/{marker}"):
        fs.rm_file(f"{target}/{marker}")
    if fs.exists(target):
        fs.rm(target, recursive=True)
    # sorted() is stable: the marker moves to the end, the rest keep their order.
    for path in sorted(staged, key=lambda path: path.endswith(f"/{marker}")):
        fs.copy(path, f"{target}/{path[len(staging) + 1 :]}")
    fs.rm(staging, recursive=True)
    fs.invalidate_cache(target)
    logger.debug("published %s (%d files)", target, len(staged))


def save_directory(
    fs: AbstractFileSystem, target: str, write: Callable[[str], None], marker: str
) -> None:
    """Call ``write(folder)`` and put the folder at ``target`` whole: renamed into
    place on a local disk, published marker-last on any other filesystem."""
    if isinstance(fs, LocalFileSystem):
        replace_directory(fs._strip_protocol(target), write)
        return
    with tempfile.TemporaryDirectory() as local_dir:
        write(local_dir)
        publish_directory(fs, local_dir, target, marker)
