"""Checkpoints on a filesystem without rename (fsspec's memory filesystem stands
in for S3): what a new launch fetches to resume from, and what each save keeps."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import fsspec
import pytest

from extractive_qa.checkpoint_store import CheckpointFolder, RemoteCheckpoints

# Where the machine that saved the checkpoints kept them; gone on this one.
ELSEWHERE = "/scratch/of/another/machine/run-abc-agent123"


@pytest.fixture
def store() -> Iterator[str]:
    root = f"/checkpoints-{uuid.uuid4().hex}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def put_checkpoint(root: str, name: str, best_step: int | None = 4) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{root}/run-abc/{name}/model.safetensors", name.encode())
    if best_step is not None:
        state = {"best_model_checkpoint": f"{ELSEWHERE}/checkpoint-{best_step}"}
        fs.pipe(f"{root}/run-abc/{name}/trainer_state.json", json.dumps(state).encode())


def test_a_new_launch_fetches_the_newest_and_the_best_checkpoint(store) -> None:
    put_checkpoint(store, "checkpoint-4")
    put_checkpoint(store, "checkpoint-8")
    put_checkpoint(store, "checkpoint-12.partial-1a2b")  # an upload cut short
    put_checkpoint(store, "checkpoint-16", best_step=None)  # no trainer_state.json
    checkpoints = RemoteCheckpoints(CheckpointFolder(f"memory://{store}"), "run-abc")
    try:
        latest = checkpoints.fetch_latest()

        assert latest == checkpoints.local_run_dir / "checkpoint-8"
        best = checkpoints.local_run_dir / "checkpoint-4"
        assert (best / "model.safetensors").read_bytes() == b"checkpoint-4"
        # The state now names the best checkpoint where this machine has it.
        state = json.loads((latest / "trainer_state.json").read_text())
        assert state["best_model_checkpoint"] == str(best)
        assert sorted(p.name for p in checkpoints.local_run_dir.iterdir()) == [
            "checkpoint-4",
            "checkpoint-8",
        ]
    finally:
        checkpoints.discard(keep_remote=True)


def test_when_the_newest_is_the_best_its_state_names_its_own_local_copy(store) -> None:
    put_checkpoint(store, "checkpoint-4", best_step=8)
    put_checkpoint(store, "checkpoint-8", best_step=8)
    checkpoints = RemoteCheckpoints(CheckpointFolder(f"memory://{store}"), "run-abc")
    try:
        latest = checkpoints.fetch_latest()

        state = json.loads((latest / "trainer_state.json").read_text())
        assert state["best_model_checkpoint"] == str(latest)
        # Only the newest is fetched; no download folder is left beside it.
        assert [p.name for p in checkpoints.local_run_dir.iterdir()] == ["checkpoint-8"]
    finally:
        checkpoints.discard(keep_remote=True)


def test_each_save_uploads_and_keeps_what_the_trainer_keeps(store) -> None:
    put_checkpoint(store, "checkpoint-4")
    put_checkpoint(store, "checkpoint-8")
    checkpoints = RemoteCheckpoints(CheckpointFolder(f"memory://{store}"), "run-abc")
    fs = fsspec.filesystem("memory")
    try:
        checkpoints.fetch_latest()
        # The Trainer saves step 12 and rotates step 8 out; 4 stays the best.
        local: Path = checkpoints.local_run_dir
        (local / "checkpoint-12").mkdir()
        (local / "checkpoint-12" / "trainer_state.json").write_text("{}")
        for file in (local / "checkpoint-8").iterdir():
            file.unlink()
        (local / "checkpoint-8").rmdir()
        checkpoints.on_save(
            SimpleNamespace(output_dir=str(local)),
            SimpleNamespace(global_step=12, is_world_process_zero=True),
            None,
        )
        stored = sorted(
            p.rsplit("/", 1)[-1] for p in fs.ls(f"{store}/run-abc", detail=False)
        )
        assert stored == ["checkpoint-12", "checkpoint-4"]
    finally:
        checkpoints.discard(keep_remote=False)
    assert not fs.exists(f"{store}/run-abc")
    assert not checkpoints.local_run_dir.exists()


def test_an_empty_store_means_a_fresh_start(store) -> None:
    checkpoints = RemoteCheckpoints(CheckpointFolder(f"memory://{store}"), "run-abc")
    try:
        assert checkpoints.fetch_latest() is None
        assert checkpoints.local_run_dir.is_dir()
    finally:
        checkpoints.discard(keep_remote=False)


def test_scratch_folders_of_killed_launches_go_and_live_ones_stay(
    store, tmp_path, monkeypatch
) -> None:
    # The scratch folder lives under the system's temporary folder.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    put_checkpoint(store, "checkpoint-4")
    done = subprocess.Popen(["true"])
    done.wait(timeout=30)
    # A launch of the same settings that is still running (on another root).
    running = subprocess.Popen(["sleep", "120"])
    scratch = tmp_path / "extractive_qa-fine_tune"
    left = {
        f"run-abc-{done.pid}": False,  # this run, an earlier launch
        f"run-other-{done.pid}": False,  # other settings, its launch gone
        f"run-other-agent{done.pid}": False,  # a torchrun launch, gone
        f"run-live-{os.getpid()}": True,  # other settings, still running
        f"run-abc-{running.pid}": True,  # these settings, still running
    }
    for name in left:
        (scratch / name / "checkpoint-2").mkdir(parents=True)
    checkpoints = RemoteCheckpoints(CheckpointFolder(f"memory://{store}"), "run-abc")
    try:
        checkpoints.fetch_latest()

        for name, kept in left.items():
            assert (scratch / name).exists() == kept, name
        assert checkpoints.local_run_dir.is_dir()
    finally:
        running.kill()
        running.wait(timeout=30)
        checkpoints.discard(keep_remote=True)


def test_other_runs_in_the_store_are_listed_not_this_one(store) -> None:
    fs = fsspec.filesystem("memory")
    checkpoints = RemoteCheckpoints(CheckpointFolder(f"memory://{store}"), "run-abc")
    assert checkpoints.other_runs() == []
    put_checkpoint(store, "checkpoint-4")
    fs.pipe(f"{store}/run-old/checkpoint-2/model.safetensors", b"2")
    fs.pipe(f"{store}/notes.txt", b"not a run")

    assert checkpoints.other_runs() == ["run-old"]
