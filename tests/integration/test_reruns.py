"""Reruns checked against the current settings, on real `kedro run`s of a
reduced project: stale inputs stop a node naming the setting and the command
that rebuilds them, `kedro status` lists every entry, and FreshRunner runs only
what is missing or stale."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from extractive_qa.pipeline_registry import register_pipelines

from .conftest import copy_project, project_command, snapshot

pytestmark = pytest.mark.slow

FRESH = "--runner=extractive_qa.runners.FreshRunner"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A reduced project after one whole run of the default pipeline."""
    root = copy_project(tmp_path_factory.mktemp("reruns"))
    bootstrap_project(root)
    with KedroSession.create(project_path=root, env="reduced") as session:
        session.run()
    return root


def kedro(
    project: Path, env: dict, command: str, *arguments: str
) -> subprocess.CompletedProcess:
    return project_command(
        project, env, "kedro", command, "--env", "reduced", *arguments
    )


def ran_nodes(output: str) -> set[str]:
    return set(re.findall(r"Running node: (\w+):", output))


def downstream_of(parameter: str) -> set[str]:
    """The default pipeline's nodes that read ``parameter`` and all after them."""
    default = register_pipelines()["__default__"]
    readers = [node.name for node in default.nodes if parameter in node.inputs]
    return {node.name for node in default.from_nodes(*readers).nodes}


def status_of(project: Path, env: dict, *arguments: str) -> dict[str, str]:
    done = kedro(project, env, "status", *arguments)
    assert done.returncode == 0, done.stderr[-3000:]
    states = {}
    for line in done.stdout.splitlines():
        parts = line.split(maxsplit=2)
        # The last line counts them: "20 fresh".
        if len(parts) >= 2 and parts[1] in ("fresh", "stale", "missing"):
            if parts[0].isdigit():
                continue
            states[parts[0]] = line
    return states


def test_status_after_a_whole_run_is_all_fresh(project, subprocess_env):
    states = status_of(project, subprocess_env)
    # The table is not buried under Kedro's INFO lines.
    done = kedro(project, subprocess_env, "status")
    assert "Loading data from" not in done.stdout + done.stderr

    default = register_pipelines()["__default__"]
    persisted = {o for node in default.nodes for o in node.outputs}
    assert set(states) == persisted
    assert all(" fresh" in line for line in states.values()), states


def test_second_run_with_fresh_runner_does_no_node_work(project, subprocess_env):
    before = snapshot(project / "data")

    done = kedro(project, subprocess_env, "run", FRESH)

    assert done.returncode == 0, done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert "nodes are fresh; nothing to run." in output
    assert ran_nodes(output) == set()
    assert snapshot(project / "data") == before


def test_predict_on_windows_of_other_settings_stops_and_changes_nothing(
    project, subprocess_env
):
    before = snapshot(project / "data")

    done = kedro(
        project,
        subprocess_env,
        "run",
        "--nodes=predict",
        "--params=tokenization.max_length=256",
    )

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-6] == "Run failed in node 'predict': StaleArtifactError"
    # predict reads the windows, and the model trained on windows of the old
    # length (which saves that length with it): both are named, with the
    # setting and its two values.
    assert set(lines[-5:-3]) == {
        "validation_features is stale: made with tokenization.max_length: 384 -> 256.",
        "fine_tuned_model is stale: made with tokenization.max_length: 384 -> 256.",
    }
    assert lines[-3].startswith("predict would read them, so it did not run")
    assert lines[-2] == "    kedro run --from-nodes=tokenize_train,tokenize_validation"
    assert "--params=allow_stale=true" in lines[-1]
    assert snapshot(project / "data") == before


def test_status_names_what_a_setting_makes_stale(project, subprocess_env):
    states = status_of(project, subprocess_env, "--params=postprocessing.n_best_size=5")

    predictions = states["validation_predictions"]
    assert "stale" in predictions
    assert "made with postprocessing.n_best_size: 20 -> 5" in predictions
    # rank_answers reads the setting too, and score reads what it makes: a
    # run from postprocess alone would stop at score.
    rebuild = "rebuild: kedro run --from-nodes=postprocess,rank_answers"
    assert predictions.endswith(rebuild)
    # Downstream entries name the input that changed, and the same command.
    assert states["metrics"].endswith(
        "made from validation_predictions, which was made with "
        f"postprocessing.n_best_size: 20 -> 5; {rebuild}"
    )
    assert states["validation_null_odds"].endswith(rebuild)
    for fresh in ("train_features", "fine_tuned_model", "validation_logits"):
        assert " fresh" in states[fresh], states[fresh]


def test_status_with_invalid_parameters_names_them_and_lists_no_entry(
    project, subprocess_env
):
    done = kedro(
        project,
        subprocess_env,
        "status",
        "--params=training.learning_rate=-1,postprocessing.n_best_size=0",
    )

    assert done.returncode == 1
    assert "the parameters are not valid" in done.stderr
    assert "- training.learning_rate = -1: Input should be greater than 0" in (
        done.stderr
    )
    assert "- postprocessing.n_best_size = 0: " in done.stderr
    assert not re.search(r"\b(fresh|stale|missing)\b", done.stdout)


@pytest.mark.parametrize("command", ["run", "status"])
def test_a_storage_url_fsspec_cannot_use_is_named_before_the_catalog(
    project, subprocess_env, command
):
    done = kedro(project, subprocess_env, command, "--params=storage=S3://b/run1")

    assert done.returncode == 1
    assert (
        "- storage: 'S3://b/run1': protocols are lower case; write 's3://b/run1'"
        in done.stderr
    )
    assert "Protocol not known" not in done.stderr
    assert "Traceback" not in done.stderr


def test_settings_that_only_change_speed_or_logging_leave_everything_fresh(
    project, subprocess_env
):
    # 1.0 epochs is the 1 the project was made with.
    states = status_of(
        project,
        subprocess_env,
        "--params=tokenization.chunk_size=7,training.keep_checkpoints=true,"
        "training.dataloader_num_workers=1,training.report_to=mlflow,"
        "training.num_train_epochs=1.0",
    )
    assert all(" fresh" in line for line in states.values()), states


def test_compiling_the_layers_makes_the_model_stale(project, subprocess_env):
    states = status_of(project, subprocess_env, "--params=training.compile_layers=true")
    assert " ".join(states["fine_tuned_model"].split()) == (
        "fine_tuned_model stale made with training.compile_layers: False -> True; "
        "rebuild: kedro run --from-nodes=fine_tune"
    )
    assert " fresh" in states["train_features"]


def test_changed_n_best_size_reruns_postprocess_and_what_follows_only(
    project, subprocess_env
):
    done = kedro(
        project, subprocess_env, "run", FRESH, "--params=postprocessing.n_best_size=5"
    )

    assert done.returncode == 0, done.stderr[-3000:]
    ran = ran_nodes(done.stdout + done.stderr)
    assert ran == downstream_of("params:postprocessing")
    assert "fine_tune" not in ran and "predict" not in ran
    states = status_of(project, subprocess_env, "--params=postprocessing.n_best_size=5")
    assert all(" fresh" in line for line in states.values()), states


def test_allow_stale_runs_warns_and_is_recorded(project, subprocess_env):
    done = kedro(
        project,
        subprocess_env,
        "run",
        "--nodes=predict",
        "--params=tokenization.max_length=256,allow_stale=true,"
        "postprocessing.n_best_size=5",
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "allow_stale is set: predict runs on stale inputs: validation_features" in (
        done.stdout + done.stderr
    )
    stamp = json.loads(
        (project / "data/07_model_output/.validation_logits.stamp.json").read_text()
    )
    assert stamp["allow_stale"] is True
    states = status_of(project, subprocess_env, "--params=postprocessing.n_best_size=5")
    assert "made from stale inputs (allow_stale was set)" in states["validation_logits"]
    assert states["validation_logits"].endswith("--from-nodes=predict")


def test_changed_max_length_reruns_from_tokenization_holding_the_lock(
    project, subprocess_env
):
    """While this run trains, a second run on the same storage stops at once."""
    run = subprocess.Popen(
        [sys.executable, "-m", "kedro", "run", "--env", "reduced", FRESH]
        + ["--params=tokenization.max_length=256,postprocessing.n_best_size=5"],
        cwd=project,
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watchdog = threading.Timer(600, run.kill)
    watchdog.start()
    try:
        output = []
        for line in run.stdout:
            output.append(line)
            if "Running node: fine_tune" in line:
                break
        assert run.poll() is None, "".join(output)[-3000:]
        # Paused, so that it is sure to still hold the lock (it would finish
        # the reduced training in seconds).
        os.kill(run.pid, signal.SIGSTOP)
        try:
            second = kedro(project, subprocess_env, "run", "--nodes=score")
        finally:
            os.kill(run.pid, signal.SIGCONT)
        output.extend(run.stdout)
        run.wait(timeout=600)
    finally:
        watchdog.cancel()
        if run.poll() is None:
            run.kill()
            run.wait(timeout=60)
        run.stdout.close()

    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert lines[-2] == "Run failed: RunLockedError"
    assert f"process {run.pid} on " in lines[-1]
    assert run.returncode == 0, "".join(output)[-3000:]
    assert ran_nodes("".join(output)) == downstream_of("params:tokenization")
    assert not (project / "data/.extractive_qa.lock").exists()


def as_from_a_terminal() -> None:
    """Ctrl-C's and a scheduler's signals as a shell hands them to a command:
    acted on, not ignored or blocked, whatever this test process inherited (a
    test runner's worker may have either)."""
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=str)
def test_an_interrupted_run_leaves_no_lock(tmp_path, subprocess_env, stop):
    """Ctrl-C, or SIGTERM (a scheduler's timeout): Kedro calls no hook, and the
    lock goes when the process exits."""
    project = copy_project(tmp_path)
    lock = project / "data/.extractive_qa.lock"
    # Training long enough that the interrupt lands in it however late this
    # process reads the log line (a loaded machine).
    run = subprocess.Popen(
        [
            *(sys.executable, "-m", "kedro", "run", "--env", "reduced"),
            "--params=training.num_train_epochs=20",
        ],
        cwd=project,
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=as_from_a_terminal,
    )
    watchdog = threading.Timer(600, run.kill)
    watchdog.start()
    try:
        held = False
        for line in run.stdout:
            if "Running node: fine_tune" in line:
                held = lock.exists()
                run.send_signal(stop)
                break
        output = run.stdout.read()
        run.wait(timeout=120)
    finally:
        watchdog.cancel()
        if run.poll() is None:
            run.kill()
            run.wait(timeout=60)
        run.stdout.close()

    assert held, "the run did not hold the lock while it trained"
    inherited = (
        signal.getsignal(signal.SIGINT),
        signal.pthread_sigmask(signal.SIG_BLOCK, []),
    )
    assert run.returncode != 0, f"{stop!r} here: {inherited}\n{output[-3000:]}"
    assert not lock.exists()
    if stop == signal.SIGTERM:
        # Not the default action (killed at once, the lock left behind).
        assert run.returncode == 128 + signal.SIGTERM, output[-3000:]
        assert "Run stopped by SIGTERM in node 'fine_tune'" in output
