"""One run at a time per storage root.

Two runs writing the same artifacts interleave their saves, and the second
would resume the first's unfinished checkpoints. A run therefore takes
``<storage root>/.extractive_qa.lock``, a small JSON file with its process id,
host, start time and command, created only where there is none, and removes it
when it ends. A second run stops
at once, naming the holder. A lock whose process is gone (same host, no such
process: a run killed with SIGKILL, or out of memory) is taken over with a
warning. On Linux the lock also records the boot, the pid namespace and the
process's start time, so that a later process given the same id, or a reboot
(for runs in the host's own pid namespace), does not keep a dead run's lock
alive, and a run in another container with the same hostname is not mistaken
for a dead one. A lock from another host (or another pid namespace, which a
restarted container also gets) cannot be checked; the message says how to
remove it when that run is known to be gone.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import fsspec
from kedro.framework.hooks import hook_impl

from extractive_qa.storage_root import access_denied, check_bucket, is_bucket_store

logger = logging.getLogger(__name__)

LOCK_NAME = ".extractive_qa.lock"
# The storage root when no --params=storage=... is given (conf/base/catalog.yml).
DEFAULT_ROOT = "data"


class RunLockedError(RuntimeError):
    """Another run holds the storage root."""


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as file:
            # A process's name (in its stat line) may be any bytes.
            return file.read().decode("utf-8", errors="replace").strip()
    except OSError:
        return None


def process_start(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (Linux), or None."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    # Field 22; the command name (field 2) is in parentheses and may hold spaces.
    try:
        return int(stat[stat.rindex(")") + 2 :].split()[19])
    except (ValueError, IndexError):
        return None


def pid_namespace() -> str | None:
    """This process's pid namespace (Linux), e.g. ``pid:[4026531836]``: process
    ids of another namespace (another container) mean nothing here."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def process_identity() -> dict[str, Any]:
    """What tells this process apart from any other that has, or later gets,
    its id: the boot, the pid namespace and its start time (Linux; elsewhere
    nothing)."""
    identity = {
        "boot": _read("/proc/sys/kernel/random/boot_id"),
        "pid_namespace": pid_namespace(),
        "process_start": process_start(os.getpid()),
    }
    return {key: value for key, value in identity.items() if value is not None}


class RunLock:
    """The lock file of one storage root, on its own filesystem."""

    def __init__(self, fs: Any, root: str) -> None:
        self.fs = fs
        self.path = f"{root.rstrip('/')}/{LOCK_NAME}"
        # The path as the user writes it: with its protocol on an object store.
        self.url = fs.unstrip_protocol(self.path) if is_bucket_store(fs) else self.path
        self.token = uuid.uuid4().hex

    @classmethod
    def for_root(cls, root: str, fs: Any = None) -> RunLock:
        if fs is None:
            fs, path = fsspec.core.url_to_fs(root)
        else:
            path = fsspec.core.strip_protocol(root) if "://" in root else root
        return cls(fs, path)

    def holder(self) -> dict[str, Any] | None:
        try:
            with self.fs.open(self.path, "r", encoding="utf-8") as file:
                return json.loads(file.read())
        except FileNotFoundError:
            return None
        except ValueError:
            # Not JSON: cut short, or not written by this project.
            return {"unreadable": True}

    def _stale(self, holder: dict[str, Any]) -> bool:
        pid = holder.get("pid")
        if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
            return False
        if "boot" not in holder:  # written where there is no /proc
            return not process_alive(pid)
        here = process_identity()
        if holder.get("pid_namespace") != here.get("pid_namespace"):
            return False  # another container: its processes are not visible here
        if holder["boot"] != here.get("boot"):
            return True  # the machine has rebooted since
        if not process_alive(pid):
            return True
        started = process_start(pid)
        # Alive, but a later process that was given the same id.
        return started is not None and started != holder.get("process_start")

    def _locked(self, holder: dict[str, Any]) -> RunLockedError:
        if holder.get("unreadable"):
            return RunLockedError(
                f"The lock of this storage root, {self.url}, cannot be read (it "
                "is not the JSON a run writes: cut short, or written by "
                "something else), so whether a run holds it is unknown. If no "
                f"run is using this storage root, delete {self.url} and run again."
            )
        return RunLockedError(
            "Another run holds the lock of this storage root, "
            f"{self.url}: process {holder.get('pid')} on "
            f"{holder.get('host')}, started "
            f"{holder.get('started')} ({holder.get('command', '?')}). Wait "
            "for it to finish, or give this run another "
            "--params=storage=... . If that run is gone (its machine "
            f"was lost), delete {self.url} and run again."
        )

    def _create(self, text: str) -> bool:
        """Write the lock file only where there is none; whether this run did.

        Exclusive creation (``O_EXCL`` on a local disk, a conditional put on
        S3) lets exactly one of two runs that start together through. A
        filesystem may accept the mode without honouring it, or refuse it; the
        file is read back either way, so the last writer wins there.
        """
        try:
            with self.fs.open(self.path, "xb") as file:
                file.write(text.encode("utf-8"))
        except FileExistsError:
            return False
        except Exception as error:  # noqa: BLE001 - any refusal of the mode
            logger.debug("%s: no exclusive creation here (%s)", self.path, error)
            with self.fs.open(self.path, "w", encoding="utf-8") as file:
                file.write(text)
        return (self.holder() or {}).get("token") == self.token

    def check_root(self) -> None:
        """Raise ``StorageRootError`` when the root's bucket cannot be used, or
        the lock under it cannot be read there (the credentials are refused)."""
        root = self.path.rpartition("/")[0]
        check_bucket(self.fs, root)
        if not is_bucket_store(self.fs):
            return
        try:
            self.holder()
        except PermissionError as error:
            raise access_denied(self.fs, root, error) from None

    def acquire(self) -> None:
        """Take the lock, or raise ``RunLockedError`` naming its holder
        (``StorageRootError`` when the root's bucket cannot be used)."""
        self.check_root()
        holder = self.holder()
        if holder is not None:
            if not self._stale(holder):
                raise self._locked(holder)
            logger.warning(
                "taking over the lock %s left by process %s (started %s), which "
                "is no longer running",
                self.url,
                holder.get("pid"),
                holder.get("started"),
            )
            # Only the record found stale: another run may have taken over.
            if self.holder() == holder:
                try:
                    self.fs.rm(self.path)
                except FileNotFoundError:
                    pass  # another run removed it first; creation decides
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "command": " ".join(sys.argv[1:]) or sys.argv[0],
            "token": self.token,
            **process_identity(),
        }
        # On an object store there are no folders to make, and making one
        # creates its bucket.
        parent = self.path.rpartition("/")[0]
        if parent and not is_bucket_store(self.fs):
            self.fs.makedirs(parent, exist_ok=True)
        if not self._create(json.dumps(record)):
            raise self._locked(self.holder() or {"pid": "?", "host": "?"})

    def release(self) -> None:
        """Remove the lock if this run still holds it."""
        if (self.holder() or {}).get("token") == self.token:
            self.fs.rm(self.path)


def storage_filesystem(root: str, catalog: Any, names: Any) -> Any:
    """The filesystem of a catalog entry under ``root`` (so the lock uses the
    entries' own credentials), or None to let fsspec pick by URL."""
    from extractive_qa.freshness import artifact_location

    root_path = fsspec.core.strip_protocol(root).rstrip("/")
    for name in names:
        location = artifact_location(catalog.get(name)) if name in catalog else None
        if location is not None and location[1].startswith(root_path):
            return location[0]
    return None


def root_lock(catalog: Any, names: Any, project: Path | None = None) -> RunLock:
    """The lock of the run's storage root (``--params=storage=...``), on the
    filesystem of the catalog entries ``names`` under it. A relative folder is
    taken in ``project``, as Kedro takes the catalog's relative paths, not in
    the working directory."""
    parameters = catalog.load("parameters") if "parameters" in catalog else {}
    root = str(parameters.get("storage") or DEFAULT_ROOT)
    if project is not None and "://" not in root and not Path(root).is_absolute():
        root = str(project / root)
    return RunLock.for_root(root, storage_filesystem(root, catalog, names))


class StorageLock:
    """Hold the storage root's lock for the whole run (rank 0 only under
    torchrun: the other processes are part of the same run)."""

    def __init__(self) -> None:
        self._lock: RunLock | None = None
        self._project: Path | None = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._project = Path(context.project_path)

    @hook_impl
    def before_pipeline_run(self, pipeline: Any, catalog: Any) -> None:
        if int(os.environ.get("RANK", "0")) != 0:
            return
        # A run of this process that was interrupted (Ctrl-C in a notebook)
        # still holds its lock: Kedro called no hook to release it.
        self._release()
        lock = root_lock(catalog, sorted(pipeline.datasets()), self._project)
        lock.acquire()
        self._lock = lock
        # Kedro calls no hook when a run is interrupted (Ctrl-C) or when a
        # later before_pipeline_run hook fails; the lock still goes at exit.
        atexit.register(self._release_at_exit)

    def _release(self) -> None:
        if self._lock is not None:
            atexit.unregister(self._release_at_exit)
            self._lock.release()
            self._lock = None

    def _release_at_exit(self) -> None:
        path = self._lock.url if self._lock is not None else "the lock"
        try:
            self._release()
        except BaseException as error:  # noqa: BLE001 - the process is ending anyway
            logger.warning("could not remove %s (%r); delete it by hand", path, error)

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._release()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._release()
