"""Experiment tracking: each ``kedro run`` is one MLflow run.

kedro-mlflow's ``MlflowHook`` opens and closes the run and logs the parameters
every node reads. The hooks here choose where runs go when nothing else says,
and log what kedro-mlflow leaves to the catalog: the final metrics, the training
curve as metric history, the data-quality counts, the plots and the worst
questions, the fine-tuned model as an MLflow model that ``mlflow models serve``
serves, the data fingerprints and the git commit.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl
from kedro.framework.project import pipelines

from extractive_qa.distributed import process_rank
from extractive_qa.freshness import is_workspace, read_stamp, source_fingerprint
from extractive_qa.hooks.tracking_server import check_tracking_server

logger = logging.getLogger(__name__)

# Where runs go when neither conf/<env>/mlflow.yml nor MLFLOW_TRACKING_URI
# names a store: a SQLite file and an artifact folder in the project.
LOCAL_STORE = "mlflow.db"
LOCAL_ARTIFACTS = "mlartifacts"
# Saved entries logged as files of the run, under these names.
ARTIFACTS = {
    "error_breakdown_plot": "error_breakdown.png",
    "training_curve_plot": "training_curve.png",
    "worst_questions": "worst_questions.csv",
    "reliability": "reliability.csv",
    "error_breakdown": "error_breakdown.csv",
}


# Set to the URI TrackingStore chose, which MLflow then copies into
# MLFLOW_TRACKING_URI: a later run (or a process this one starts) of another
# project must not take it for a store the user named.
OWN_DEFAULT = "EXTRACTIVE_QA_DEFAULT_TRACKING_URI"


def _named_by_environment() -> bool:
    """Whether MLFLOW_TRACKING_URI names a store other than a project default."""
    named = os.environ.get("MLFLOW_TRACKING_URI")
    return bool(named) and named != os.environ.get(OWN_DEFAULT)


class TrackingStore:
    """Point kedro-mlflow at the project's own SQLite store and artifact folder
    unless the configuration or the environment names a tracking server.

    Registered after ``MlflowHook`` in ``settings.HOOKS``, so that Kedro calls
    it first."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        try:
            config = dict(context.config_loader["mlflow"])
        except MissingConfigException:
            config = {}
        server = dict(config.get("server") or {})
        tracking = dict(config.get("tracking") or {})
        if process_rank() != 0:
            # Under torchrun the main process alone records the run; the others
            # get a store of their own, thrown away at exit, so that no two
            # processes set up one SQLite file at once.
            scratch = tempfile.mkdtemp(prefix="extractive_qa_mlflow_")
            atexit.register(shutil.rmtree, scratch, ignore_errors=True)
            server["mlflow_tracking_uri"] = f"sqlite:///{scratch}/{LOCAL_STORE}"
            disabled = dict(tracking.get("disable_tracking") or {})
            disabled["pipelines"] = sorted(pipelines)
            tracking["disable_tracking"] = disabled
        elif server.get("mlflow_tracking_uri") or _named_by_environment():
            named = server.get("mlflow_tracking_uri")
            source = "conf/<env>/mlflow.yml" if named else "MLFLOW_TRACKING_URI"
            check_tracking_server(
                str(named or os.environ["MLFLOW_TRACKING_URI"]), source, LOCAL_STORE
            )
        else:
            project = Path(context.project_path).resolve()
            server["mlflow_tracking_uri"] = f"sqlite:///{project / LOCAL_STORE}"
            # MLflow exports the URI it is given to MLFLOW_TRACKING_URI; this
            # marks it as the project default rather than the user's choice.
            os.environ[OWN_DEFAULT] = server["mlflow_tracking_uri"]
            experiment = dict(tracking.get("experiment") or {})
            create = dict(experiment.get("create_experiment_kwargs") or {})
            if create.get("artifact_location") is None:
                create["artifact_location"] = (project / LOCAL_ARTIFACTS).as_uri()
            experiment["create_experiment_kwargs"] = create
            tracking["experiment"] = experiment
        context.config_loader["mlflow"] = {
            **config,
            "server": server,
            "tracking": tracking,
        }


def _git(project: Path, *args: str) -> str:
    """The output of ``git <args>`` in ``project``."""
    return subprocess.run(
        ["git", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.strip()


def _git_commit(project: Path) -> str:
    """The checkout's commit, marked ``+changes`` when files differ from it."""
    try:
        commit = _git(project, "rev-parse", "HEAD")
        changed = _git(project, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
    return f"{commit}+changes" if changed else commit


def _numbers(record: dict[str, Any], prefix: str) -> dict[str, float]:
    """The numeric leaves of a nested record, named by their path."""
    found: dict[str, float] = {}
    for key, value in record.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            found.update(_numbers(value, name))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found[name] = float(value)
    return found


def _log_file(data: Any, name: str) -> None:
    """Log a figure or a table the node returned as a file of the run."""
    # A node can only have returned a figure if matplotlib is imported.
    figures = sys.modules.get("matplotlib.figure")
    if figures is not None and isinstance(data, figures.Figure):
        mlflow.log_figure(data, name)
        return
    if isinstance(data, pd.DataFrame):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            data.to_csv(path, index=False)
            mlflow.log_artifact(str(path))


def _log_calibration_error(reliability: Any) -> None:
    """The reliability table's ``all`` row gap as metric
    ``expected_calibration_error``."""
    total = reliability[reliability["probability_bin"] == "all"]
    if len(total):
        mlflow.log_metric("expected_calibration_error", float(total["gap"].iloc[0]))


def log_training_curve(curve: list[dict[str, Any]]) -> None:
    """The training loss and the validation EM/F1 as metric histories by step."""
    for record in curve:
        step = int(record["step"])
        values = {
            name: float(record[key])
            for key, name in (
                ("train_loss", "train_loss"),
                ("eval_exact_match", "eval_exact_match"),
                ("eval_f1", "eval_f1"),
            )
            if record.get(key) is not None
        }
        if values:
            mlflow.log_metrics(values, step=step)


class RunRecords:
    """Log the run's results into the active MLflow run as they are saved, and
    tag the run with the commit and the fingerprints of the data it reads."""

    def __init__(self) -> None:
        self._project: Path | None = None
        self._catalog: Any = None
        self._untagged: set[str] = set()
        self._outer_run: str | None = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._project = Path(context.project_path)
        # A run the caller opened before Kedro's (kedro-mlflow then logs into
        # it) stays open after the pipeline.
        outer = mlflow.active_run()
        self._outer_run = outer.info.run_id if outer else None

    def _close_runs(self, status: str) -> None:
        """Close what this pipeline left open: kedro-mlflow reopens its run in
        nodes as nested runs, which its own end of run leaves behind, and a
        later run in the same process would log into them."""
        for _ in range(100):
            active = mlflow.active_run()
            if active is None or active.info.run_id == self._outer_run:
                return
            mlflow.end_run(status)

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._close_runs("FINISHED")

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._close_runs("FAILED")

    @hook_impl
    def before_pipeline_run(self, pipeline: Any, catalog: Any) -> None:
        self._catalog = catalog
        self._untagged = {
            name
            for name in pipeline.inputs()
            if not name.startswith("params:") and name != "parameters"
        }
        if mlflow.active_run() is not None:
            mlflow.set_tag("git_commit", _git_commit(self._project or Path.cwd()))

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str) -> None:
        """Tag each input the run reads with its fingerprint, once it is there
        (the synthetic raw files are written on first load)."""
        if dataset_name not in self._untagged or mlflow.active_run() is None:
            return
        self._untagged.discard(dataset_name)
        dataset = self._catalog.get(dataset_name)
        if is_workspace(dataset):
            return
        stamp = read_stamp(dataset)
        fingerprint = stamp.digest if stamp else source_fingerprint(dataset)
        if fingerprint:
            mlflow.set_tag(f"data.{dataset_name}", fingerprint)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        if mlflow.active_run() is None:
            return
        if dataset_name == "metrics":
            mlflow.log_metrics(_numbers(data, ""))
        elif dataset_name == "training_curve":
            log_training_curve(data)
        elif dataset_name.endswith("_data_quality"):
            split = dataset_name.removesuffix("_data_quality")
            mlflow.log_metrics(_numbers(data, f"data_quality.{split}"))
        elif dataset_name in ARTIFACTS:
            _log_file(data, ARTIFACTS[dataset_name])
            if dataset_name == "reliability":
                _log_calibration_error(data)
        elif dataset_name == "fine_tuned_model":
            from extractive_qa.serving import log_qa_model

            tokenization = self._catalog.load("params:tokenization")
            inference = self._catalog.load("params:inference")
            uri = log_qa_model(
                data,
                chunk_size=tokenization["chunk_size"],
                batch_size=inference["batch_size"],
                device=inference["device"],
            )
            logger.info("logged the fine-tuned model as MLflow model %s", uri)
