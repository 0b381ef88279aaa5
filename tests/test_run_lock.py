"""One run per storage root: a live holder stops a second run, a dead one's
lock is taken over, and a run releases its lock."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
from types import SimpleNamespace

import fsspec
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline

from extractive_qa.run_lock import (
    LOCK_NAME,
    RunLock,
    RunLockedError,
    StorageLock,
    process_identity,
    process_start,
)


def dead_pid() -> int:
    """The process id of a process that has ended."""
    done = subprocess.Popen(["true"])
    done.wait(timeout=30)
    return done.pid


def lock(tmp_path) -> RunLock:
    return RunLock.for_root(str(tmp_path))


def write_holder(tmp_path, **holder) -> None:
    (tmp_path / LOCK_NAME).write_text(json.dumps(holder))


def test_acquire_records_the_holder_and_release_removes_it(tmp_path):
    run = lock(tmp_path)

    run.acquire()
    holder = json.loads((tmp_path / LOCK_NAME).read_text())
    assert holder["pid"] == os.getpid()
    assert holder["host"] == socket.gethostname()
    assert holder["started"] and holder["command"]

    run.release()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_live_holder_stops_a_second_run(tmp_path):
    first = lock(tmp_path)
    first.acquire()

    with pytest.raises(RunLockedError) as error:
        lock(tmp_path).acquire()

    message = str(error.value)
    assert f"process {os.getpid()} on {socket.gethostname()}" in message
    assert "--params=storage=" in message
    # The refused run does not release the holder's lock.
    assert json.loads((tmp_path / LOCK_NAME).read_text())["token"] == first.token


def test_a_lock_whose_process_is_gone_is_taken_over(tmp_path, caplog):
    pid = dead_pid()
    write_holder(
        tmp_path, pid=pid, host=socket.gethostname(), started="earlier", command="x"
    )
    run = lock(tmp_path)

    with caplog.at_level(logging.WARNING, logger="extractive_qa.run_lock"):
        run.acquire()

    assert f"left by process {pid} (started earlier)" in caplog.text
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_a_lock_from_another_host_is_not_guessed_at(tmp_path):
    write_holder(tmp_path, pid=dead_pid(), host="gpu-7", started="s", command="c")

    with pytest.raises(RunLockedError) as error:
        lock(tmp_path).acquire()

    assert "on gpu-7" in str(error.value)
    assert f"delete {tmp_path}/{LOCK_NAME}" in str(error.value)


linux_only = pytest.mark.skipif(
    not os.path.exists("/proc/self/stat"), reason="process identity is read in /proc"
)


@pytest.fixture
def live_process():
    """A process that runs until the test ends, then is stopped by its PID."""
    process = subprocess.Popen(["sleep", "300"])
    yield process.pid
    process.kill()
    process.wait(timeout=30)


def write_live_holder(tmp_path, pid: int, **identity) -> None:
    """A lock record of process ``pid`` on this host; ``identity`` replaces
    parts of this process's identity."""
    record = process_identity() | {"process_start": process_start(pid)} | identity
    write_holder(
        tmp_path,
        pid=pid,
        host=socket.gethostname(),
        started="s",
        command="c",
        **record,
    )


@linux_only
def test_the_lock_records_which_process_holds_it(tmp_path):
    lock(tmp_path).acquire()

    holder = json.loads((tmp_path / LOCK_NAME).read_text())
    assert {"boot", "pid_namespace", "process_start"} <= holder.keys()
    assert holder["process_start"] == process_start(os.getpid())
    assert holder["boot"] == process_identity()["boot"]


@linux_only
def test_a_holder_whose_process_name_is_not_ascii_is_read(tmp_path):
    # A process's name is whatever its program file is called.
    program = tmp_path / "학습"
    shutil.copy(shutil.which("sleep"), program)
    process = subprocess.Popen([str(program), "300"])
    try:
        assert process_start(process.pid) is not None
        write_live_holder(tmp_path, process.pid)
        with pytest.raises(RunLockedError, match=f"process {process.pid} on"):
            lock(tmp_path).acquire()
    finally:
        process.kill()
        process.wait(timeout=30)


@linux_only
def test_a_live_process_that_holds_the_lock_keeps_it(tmp_path, live_process):
    write_live_holder(tmp_path, live_process)

    with pytest.raises(RunLockedError, match=f"process {live_process} on"):
        lock(tmp_path).acquire()


@linux_only
@pytest.mark.parametrize(
    "changed", ["process_start", "boot"], ids=["pid reused", "rebooted"]
)
def test_a_live_process_that_is_not_the_holder_does_not_keep_its_lock(
    tmp_path, live_process, changed
):
    # The holder's id now belongs to another process, or to a process of a
    # later boot: the holder is gone, and the lock is taken over.
    other = {"process_start": process_start(live_process) - 1, "boot": "an-old-boot"}
    write_live_holder(tmp_path, live_process, **{changed: other[changed]})

    lock(tmp_path).acquire()

    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


@linux_only
def test_a_holder_in_another_pid_namespace_is_not_guessed_at(tmp_path):
    # Another container with the same hostname: its process ids mean nothing
    # here, so no process by that id here does not make the lock stale.
    write_live_holder(tmp_path, dead_pid(), pid_namespace="pid:[1]")

    with pytest.raises(RunLockedError, match=f"delete {tmp_path}/{LOCK_NAME}"):
        lock(tmp_path).acquire()


def test_the_lock_works_on_any_fsspec_storage():
    fs = fsspec.filesystem("memory")
    run = RunLock.for_root("memory://bucket/runs")

    run.acquire()
    assert fs.exists(f"/bucket/runs/{LOCK_NAME}")
    with pytest.raises(RunLockedError):
        RunLock.for_root("memory://bucket/runs").acquire()
    run.release()
    assert not fs.exists(f"/bucket/runs/{LOCK_NAME}")


class Overtaken(RunLock):
    """A run that ``other`` overtakes between reading the lock (finding none)
    and creating it: the moment two runs started together can meet."""

    def __init__(self, fs, path: str, other: RunLock) -> None:
        super().__init__(fs, path)
        self.other: RunLock | None = other

    def holder(self):
        found = super().holder()
        if self.other is not None:
            other, self.other = self.other, None
            other.acquire()
        return found


@pytest.mark.parametrize("storage", ["file", "memory"])
def test_of_two_runs_that_start_together_only_one_holds_the_lock(storage, tmp_path):
    root = str(tmp_path) if storage == "file" else "/together/runs"
    fs = fsspec.filesystem(storage)
    second = RunLock(fs, root)
    first = Overtaken(fs, root, other=second)

    with pytest.raises(RunLockedError) as error:
        first.acquire()

    assert f"process {os.getpid()} on {socket.gethostname()}" in str(error.value)
    with fs.open(second.path, "r", encoding="utf-8") as file:
        assert json.loads(file.read())["token"] == second.token
    second.release()
    assert not fs.exists(second.path)


def test_the_next_run_of_a_process_whose_run_was_interrupted_takes_the_lock(
    tmp_path,
):
    """A notebook's Ctrl-C: no hook ran after the first run, whose lock is held
    by this (live) process; the kernel's next run goes ahead all the same."""
    catalog = DataCatalog({"parameters": MemoryDataset({"storage": str(tmp_path)})})
    hook = StorageLock()
    hook.before_pipeline_run(pipeline=Pipeline([]), catalog=catalog)
    first = json.loads((tmp_path / LOCK_NAME).read_text())["token"]

    hook.before_pipeline_run(pipeline=Pipeline([]), catalog=catalog)

    second = json.loads((tmp_path / LOCK_NAME).read_text())["token"]
    assert second != first
    hook.after_pipeline_run()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_relative_storage_root_is_taken_in_the_project_not_the_working_directory(
    tmp_path, monkeypatch
):
    """A session created for a project elsewhere (a notebook, a test) locks
    that project's folder, where its catalog writes."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    catalog = DataCatalog({"parameters": MemoryDataset({"storage": "data"})})
    hook = StorageLock()
    hook.after_context_created(context=SimpleNamespace(project_path=project))

    hook.before_pipeline_run(pipeline=Pipeline([]), catalog=catalog)

    assert (project / "data" / LOCK_NAME).is_file()
    assert not (elsewhere / "data").exists()
    hook.after_pipeline_run()
    assert not (project / "data" / LOCK_NAME).exists()
