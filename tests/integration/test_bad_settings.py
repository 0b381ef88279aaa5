"""A setting out of range stops `kedro run` before its first node: non-zero
exit, the setting named with its value, and nothing persisted touched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import copy_project, project_command, snapshot
from .servers import free_port


def test_max_answer_length_zero_stops_before_any_node(
    reduced_project: Path, subprocess_env: dict
) -> None:
    before = snapshot(reduced_project / "data")
    assert "08_reporting/metrics.json" in before
    run = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--env", "reduced"]
        + ["--params=postprocessing.max_answer_length=0,training.batch_size=0"],
        cwd=reduced_project,
        env={**subprocess_env, "COLUMNS": "200"},
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    # The cause ends the output; the traceback is only in the log file.
    lines = run.stderr.strip().splitlines()
    assert lines[-5:] == [
        "Run failed: SettingsError",
        "The run's parameters are not valid; no node ran:",
        "- training.batch_size = 0: Input should be greater than or equal to 1",
        "- postprocessing.max_answer_length = 0: Input should be greater than or "
        "equal to 1",
        "Fix them in conf/<env>/parameters*.yml or in this command's --params.",
    ]
    assert "Traceback" not in run.stderr
    log = (reduced_project / "logs/failures.log").read_text()
    assert "Traceback (most recent call last)" in log
    assert "Running node" not in run.stdout + run.stderr
    assert snapshot(reduced_project / "data") == before


def test_a_tracking_server_that_is_down_is_named_at_once(
    reduced_project: Path, subprocess_env: dict
) -> None:
    """MLflow's client would retry for minutes before failing."""
    # Nothing listens on a free port.
    uri = f"http://127.0.0.1:{free_port()}"
    before = snapshot(reduced_project / "data")
    run = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--env", "reduced", "--nodes=load"],
        cwd=reduced_project,
        # Without a proxy: one that applies is left to MLflow's client.
        env={
            **{k: v for k, v in subprocess_env.items() if "proxy" not in k.lower()},
            "MLFLOW_TRACKING_URI": uri,
        },
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert lines[-2] == "Run failed: TrackingServerError"
    assert lines[-1].startswith(
        f"The tracking server {uri} (from MLFLOW_TRACKING_URI) cannot be reached: "
    )
    assert "unset MLFLOW_TRACKING_URI" in lines[-1]
    assert "Retrying" not in run.stdout + run.stderr
    assert snapshot(reduced_project / "data") == before


def test_a_storage_root_in_a_parameters_file_is_refused(tmp_path, subprocess_env):
    """The catalog takes its paths from --params=storage=... only: a root set
    in a file would leave every artifact in data/ while the run looked fine."""
    project = copy_project(tmp_path)
    (project / "conf/reduced/parameters_storage.yml").write_text(
        "storage: s3://my-bucket/run3\ntable_format: parquet\n"
    )

    for command in ("run", "status"):
        done = project_command(
            project, subprocess_env, "kedro", command, "--env", "reduced", timeout=300
        )

        assert done.returncode == 1, done.stdout[-2000:]
        assert (
            "- storage = 's3://my-bucket/run3' is set in a parameters file, but "
            "the catalog reads it from the command line only; remove it there and "
            "pass --params=storage=s3://my-bucket/run3 instead"
        ) in done.stderr
        assert "- table_format = 'parquet' is set in a parameters file" in (done.stderr)
        assert "Traceback" not in done.stderr
    assert not (project / "data/02_intermediate").exists()


def test_status_ends_with_the_cause_not_a_traceback(tmp_path, subprocess_env):
    project = copy_project(tmp_path)

    unknown = project_command(
        project, subprocess_env, "kedro", "status", "--env", "nosuchenv", timeout=300
    )
    badly_written = project_command(
        project, subprocess_env, "kedro", "status", "--params=storage=s3:/b/run1"
    )

    assert unknown.returncode == 1
    assert "Traceback" not in unknown.stderr
    assert "Error: MissingConfigException: " in unknown.stderr
    assert str(project / "conf/nosuchenv") in unknown.stderr
    assert "Traceback (most recent call last)" in (
        (project / "logs/failures.log").read_text()
    )
    # Said as status says it: no run was refused.
    assert badly_written.returncode == 1
    assert badly_written.stderr.endswith(
        "Error: the parameters are not valid, so no entry is compared with them:\n"
        "- storage: 's3:/b/run1': a URL needs '://' after its protocol; write "
        "'s3://b/run1'\n"
        "Fix them in conf/<env>/parameters*.yml or in this command's --params.\n"
    )
