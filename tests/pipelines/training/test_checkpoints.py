"""Which checkpoint a rerun resumes: the highest step written to the end."""

from __future__ import annotations

import json
from pathlib import Path

from extractive_qa.training.checkpoints import last_complete_checkpoint


def checkpoint(run_dir: Path, step: int, state: str | None) -> Path:
    folder = run_dir / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights")
    if state is not None:
        (folder / "trainer_state.json").write_text(state)
    return folder


def test_a_rerun_resumes_the_highest_whole_checkpoint(tmp_path: Path):
    whole = checkpoint(tmp_path, 5, json.dumps({"global_step": 5}))
    checkpoint(tmp_path, 9, json.dumps({"global_step": 9})[:7])  # cut mid-write
    checkpoint(tmp_path, 10, "")  # killed right after opening the file
    checkpoint(tmp_path, 12, None)  # killed before the state was written
    (tmp_path / "checkpoint-notes").mkdir()

    assert last_complete_checkpoint(tmp_path) == whole


def test_no_whole_checkpoint_or_no_folder_means_a_fresh_start(tmp_path: Path):
    checkpoint(tmp_path, 3, "")

    assert last_complete_checkpoint(tmp_path) is None
    assert last_complete_checkpoint(tmp_path / "missing") is None
