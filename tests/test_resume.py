"""A run killed with SIGKILL mid-training resumes from its last checkpoint.

Everything is real: ``kedro run`` in a subprocess of a temporary project, a
``kill -9`` once the log says the first checkpoint is on disk, and a rerun of
``--nodes=fine_tune`` that must pick up from there and end within 0.5 F1 of an
uninterrupted run with the same seed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from .integration.servers import kill_at_line

# Three or more kedro runs per test.
pytestmark = pytest.mark.slow

CATALOG = {
    "raw_train": {
        "type": "extractive_qa.datasets.SyntheticKorQuADDataset",
        "filepath": "data/01_raw/synthetic_korquad_train.json",
        "split": "train",
        "n_questions": 200,
        "seed": 13,
    },
    "raw_validation": {
        "type": "extractive_qa.datasets.SyntheticKorQuADDataset",
        "filepath": "data/01_raw/synthetic_korquad_validation.json",
        "split": "validation",
        "n_questions": 30,
        "seed": 13,
    },
}
PARAMETERS = {
    "model": {"demo": {"hidden_size": 32, "intermediate_size": 64}},
    "training": {"num_train_epochs": 2, "logging_steps": 5},
}
WORK = "data/06_models/fine_tune_work"
# Wide enough that Kedro's rich log lines are not wrapped.
ENV = {
    **os.environ,
    "KEDRO_DISABLE_TELEMETRY": "true",
    "HF_HUB_OFFLINE": "1",
    "COLUMNS": "400",
}
KEDRO = [sys.executable, "-m", "kedro", "run", "--env", "reduced"]


def kedro(project: Path, *arguments: str) -> str:
    """Run kedro in the project; its log (stdout and stderr) on success."""
    done = subprocess.run(
        [*KEDRO, *arguments],
        cwd=project,
        env=ENV,
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


def complete_checkpoints(project: Path) -> list[Path]:
    """trainer_state.json of each checkpoint written to the end."""
    whole = []
    for state in sorted((project / WORK).glob("run-*/checkpoint-*/trainer_state.json")):
        try:
            json.loads(state.read_text())
        except ValueError:
            continue
        whole.append(state)
    return whole


def run_until(project: Path, line: str, *arguments: str) -> str:
    """Start ``kedro run`` and SIGKILL it as soon as its log shows ``line``;
    the line, after checking the kill ended the run."""
    process = subprocess.Popen(
        [*KEDRO, *arguments],
        cwd=project,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = kill_at_line(process, line, limit_s=300)
    assert process.returncode == -signal.SIGKILL, "the run ended before the kill"
    return seen


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, project_factory) -> Path:
    project = project_factory(tmp_path_factory.mktemp("whole"), CATALOG, PARAMETERS)
    kedro(project)
    return project


def test_killed_fine_tune_resumes_and_matches_an_uninterrupted_run(
    tmp_path, project_factory, uninterrupted
):
    project = project_factory(tmp_path, CATALOG, PARAMETERS)
    # The Trainer logs a checkpoint once it is whole.
    run_until(project, "saved checkpoint-")
    killed_at = complete_checkpoints(project)[-1].parent
    assert not (project / "data/06_models/fine_tuned_model").exists()

    # Other settings never resume these checkpoints, and leave them alone.
    log = kedro(project, "--nodes", "fine_tune", "--params", "training.seed=14")
    assert "resuming" not in log
    assert "holds checkpoints of 1 other run(s) with other settings" in log
    assert killed_at.parent.name in log
    assert killed_at.is_dir(), "another run's checkpoints were deleted"

    # The same settings pick up where the kill left off.
    log = kedro(project, "--nodes", "fine_tune")
    kedro(project, "--from-nodes", "predict")

    assert f"resuming fine-tuning from {killed_at}" in log
    curve = json.loads((project / "data/08_reporting/training_curve.json").read_text())
    whole_curve = json.loads(
        (uninterrupted / "data/08_reporting/training_curve.json").read_text()
    )
    # The curve spans the whole run: the epochs before the kill came back with
    # the checkpoint's state.
    assert [r["epoch"] for r in curve if r["eval_f1"] is not None] == [1, 2]
    assert [r["step"] for r in curve] == [r["step"] for r in whole_curve]
    metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
    whole = json.loads((uninterrupted / "data/08_reporting/metrics.json").read_text())
    for name in ("squad", "korquad"):
        assert metrics[name]["f1"] == pytest.approx(whole[name]["f1"], abs=0.5)
    assert not list((project / WORK).glob("run-*")), "checkpoints left behind"


def test_kill_while_saving_the_model_keeps_the_checkpoints(
    tmp_path, project_factory, uninterrupted
):
    project = project_factory(tmp_path, CATALOG, PARAMETERS)
    run_until(project, "Saving data to fine_tuned_model", "--to-nodes", "fine_tune")
    assert complete_checkpoints(project), "the checkpoints went before the save"
    last = complete_checkpoints(project)[-1].parent

    log = kedro(project, "--nodes", "fine_tune")

    assert f"resuming fine-tuning from {last}" in log
    resumed = load_file(project / "data/06_models/fine_tuned_model/model.safetensors")
    whole = load_file(
        uninterrupted / "data/06_models/fine_tuned_model/model.safetensors"
    )
    assert resumed.keys() == whole.keys()
    for name, weights in whole.items():
        assert torch.equal(resumed[name], weights), name
    # Saved for good this time: the run's checkpoints are gone.
    assert not complete_checkpoints(project)
