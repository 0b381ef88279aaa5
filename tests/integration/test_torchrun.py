"""Two processes train together on the CPU (gloo) under torchrun around
`kedro run --nodes=fine_tune`, and only rank 0 writes the model."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
import yaml
from mlflow import MlflowClient

BATCH_SIZE = 16


def tracked_runs(project: Path) -> list:
    """The runs in the project's own MLflow store."""
    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("extractive_qa")
    return client.search_runs([experiment.experiment_id])


@pytest.mark.slow
def test_two_processes_split_the_batches_and_rank_zero_saves(
    reduced_project: Path, tmp_path: Path, subprocess_env: dict
):
    project = shutil.copytree(reduced_project, tmp_path / "project", symlinks=True)
    model = project / "data/06_models/fine_tuned_model/model.safetensors"
    before = model.stat().st_mtime_ns
    runs_before = tracked_runs(project)
    params = yaml.safe_load((project / "conf/reduced/parameters.yml").read_text())
    assert params["training"]["num_train_epochs"] == 1
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        + ["--nproc_per_node", "2", "-m", "kedro", "run", "--env", "reduced"]
        + ["--nodes", "fine_tune"],
        cwd=project,
        env={**subprocess_env, "OMP_NUM_THREADS": "1", "COLUMNS": "400"},
        timeout=300,
        capture_output=True,
        text=True,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]

    # Each process took half of the windows: the steps of one epoch halve.
    windows = len(
        datasets.load_from_disk(str(project / "data/04_feature/train_features"))
    )
    per_process = math.ceil(math.ceil(windows / 2) / BATCH_SIZE)
    steps = [int(s) for s in re.findall(r"fine-tuned for (\d+) steps", output)]
    assert steps == [per_process, per_process]
    assert per_process < math.ceil(windows / BATCH_SIZE)

    assert "rank 1 of a multi-process run: only rank 0 saves" in output
    saved = re.findall(r"Saved QA model to (\S+)", output)
    # Once to the catalog (the other save is the copy logged to MLflow).
    assert [path for path in saved if path.endswith("fine_tuned_model")] == [
        str(project / "data/06_models/fine_tuned_model")
    ]
    assert model.stat().st_mtime_ns > before
    # One MLflow run, recorded by rank 0, with the training curve of that run.
    (new_run,) = [
        run
        for run in tracked_runs(project)
        if run.info.run_id not in {r.info.run_id for r in runs_before}
    ]
    assert new_run.info.status == "FINISHED"
    assert "training.learning_rate" in new_run.data.params
