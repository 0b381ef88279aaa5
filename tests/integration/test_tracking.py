"""Experiment tracking against real stores: the project's own SQLite store by
default, and an ``mlflow server`` on 127.0.0.1 (started here, stopped by its
PID) that two reduced runs with different learning rates report to."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from mlflow import MlflowClient

from extractive_qa.bench import serving
from extractive_qa.bench.serving import served
from extractive_qa.datasets import QAModelDataset
from extractive_qa.qa.answer_settings import AnswerSettings
from extractive_qa.qa.answering import answer_questions, to_question_dataset
from extractive_qa.settings import CONFIG_LOADER_ARGS

from .conftest import REPO, copy_project
from .servers import CHROMIUM_FLAGS, find_chromium, free_port, stop_process_tree

MLFLOW = Path(sys.executable).parent / "mlflow"
EXPERIMENT = "extractive_qa"
LEARNING_RATES = ("0.002", "0.0005")
# Names the run records when it saves them (hooks/tracking.py).
ARTIFACTS = {
    "error_breakdown.png",
    "training_curve.png",
    "worst_questions.csv",
    "error_breakdown.csv",
    "reliability.csv",
}


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll ``url`` for at most 90 s; fail with the server's log otherwise."""
    for _ in range(180):
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"mlflow server did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mlflow server`` with a SQLite backend in a temporary folder; its URL."""
    home = tmp_path_factory.mktemp("mlflow_server")
    port = free_port()
    log = home / "server.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(MLFLOW), "server", "--host", "127.0.0.1", "--port", str(port)]
            + ["--backend-store-uri", f"sqlite:///{home / 'mlflow.db'}"]
            + ["--artifacts-destination", str(home / "artifacts")]
            + ["--workers", "1"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/health", process, log)
        yield url
    finally:
        stop_process_tree(process)


@pytest.fixture(scope="module")
def two_runs(
    tracking_server: str,
    tmp_path_factory: pytest.TempPathFactory,
    subprocess_env: dict,
) -> list:
    """Two reduced runs of the default pipeline reporting to the server, one per
    learning rate; their MLflow runs, oldest first."""
    project = copy_project(tmp_path_factory.mktemp("tracked_project"))
    env = {**subprocess_env, "MLFLOW_TRACKING_URI": tracking_server}
    for rate in LEARNING_RATES:
        run = subprocess.run(
            [sys.executable, "-m", "kedro", "run", "--env", "reduced"]
            + [f"--params=training.learning_rate={rate}"],
            cwd=project,
            env=env,
            timeout=600,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr[-3000:]
    # Nothing went to the project's own store: the server was named.
    assert not (project / "mlflow.db").exists()
    client = MlflowClient(tracking_uri=tracking_server)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs(
        [experiment.experiment_id], order_by=["attributes.start_time ASC"]
    )
    return [client, runs, project]


@pytest.mark.slow
def test_each_run_holds_its_parameters_and_final_metrics(two_runs) -> None:
    client, runs, project = two_runs
    assert [run.info.status for run in runs] == ["FINISHED", "FINISHED"]
    assert [run.data.params["training.learning_rate"] for run in runs] == [
        str(float(rate)) for rate in LEARNING_RATES
    ]
    settings = OmegaConfigLoader(
        str(project / "conf"), env="reduced", **CONFIG_LOADER_ARGS
    )["parameters"]
    for run in runs:
        assert run.data.params["tokenization.max_length"] == str(
            settings["tokenization"]["max_length"]
        )
        assert run.data.params["task.version_2_with_negative"] == "False"
        # The logged model's serving settings, named apart from the run's.
        assert run.data.params["serving.device"] == settings["inference"]["device"]
        assert not {"device", "batch_size", "chunk_size"} & set(run.data.params)
        assert {"korquad.f1", "korquad.exact_match", "squad.f1"} <= set(
            run.data.metrics
        )
        assert run.data.metrics["data_quality.validation.kept"] > 0
        assert run.data.tags["git_commit"]
        assert run.data.tags["data.raw_train"].startswith("source:")
    # The last run's figures are the ones metrics.json holds.
    written = json.loads((project / "data/08_reporting/metrics.json").read_text())
    assert runs[-1].data.metrics["korquad.f1"] == pytest.approx(
        written["korquad"]["f1"]
    )
    assert runs[0].data.metrics["korquad.f1"] != runs[1].data.metrics["korquad.f1"]
    reliability = pd.read_csv(project / "data/08_reporting/reliability.csv")
    assert runs[-1].data.metrics["expected_calibration_error"] == pytest.approx(
        reliability.set_index("probability_bin").loc["all", "gap"]
    )


@pytest.mark.slow
def test_each_run_holds_its_training_curve_and_reports(two_runs) -> None:
    client, runs, project = two_runs
    curve = json.loads((project / "data/08_reporting/training_curve.json").read_text())
    logged_losses = [r for r in curve if r["train_loss"] is not None]
    for run in runs:
        losses = client.get_metric_history(run.info.run_id, "train_loss")
        f1s = client.get_metric_history(run.info.run_id, "eval_f1")
        assert len(losses) == len(logged_losses) >= 2
        assert [m.step for m in losses] == sorted(m.step for m in losses)
        assert len(f1s) == 1  # one epoch, one evaluation
        files = {artifact.path for artifact in client.list_artifacts(run.info.run_id)}
        assert ARTIFACTS <= files
    last = client.get_metric_history(runs[-1].info.run_id, "train_loss")
    assert [m.value for m in last] == pytest.approx(
        [r["train_loss"] for r in logged_losses]
    )


def test_the_default_store_is_the_projects_own(reduced_project: Path) -> None:
    """Without a tracking URI the run goes to <project>/mlflow.db, its files
    to <project>/mlartifacts."""
    client = MlflowClient(tracking_uri=f"sqlite:///{reduced_project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment.artifact_location == (reduced_project / "mlartifacts").as_uri()
    # The reduced default run came first; other tests run more on this project.
    run = client.search_runs(
        [experiment.experiment_id], order_by=["attributes.start_time ASC"]
    )[0]
    written = json.loads(
        (reduced_project / "data/08_reporting/metrics.json").read_text()
    )
    assert run.data.metrics["korquad.f1"] == pytest.approx(written["korquad"]["f1"])
    assert (reduced_project / "mlartifacts" / run.info.run_id).is_dir()


def chromium_output(chromium: str, page: str, *options: str) -> str:
    """Run headless Chromium on ``page`` with ``options``; its stdout."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        drawn = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
            + ["--virtual-time-budget=15000", *options, page],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    return drawn.stdout


@pytest.mark.slow
def test_the_ui_compares_the_two_runs(two_runs, tracking_server: str) -> None:
    """MLflow's run comparison page, drawn by headless Chromium, shows both
    runs' learning rates; its screenshot is the picture docs/ shows."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium on this machine (apt-get install -y chromium)")
    _, runs, _ = two_runs
    ids = json.dumps([run.info.run_id for run in runs])
    experiments = json.dumps([runs[0].info.experiment_id])
    page = f"{tracking_server}/#/compare-runs?runs={ids}&experiments={experiments}"

    dom = chromium_output(chromium, page, "--dump-dom")
    assert "training.learning_rate" in dom
    for rate in LEARNING_RATES:
        assert str(float(rate)) in dom

    screenshot = REPO / "data" / "08_reporting" / "mlflow_compare.png"
    screenshot.unlink(missing_ok=True)
    chromium_output(chromium, page, f"--screenshot={screenshot}")
    assert screenshot.stat().st_size > 10_000


@pytest.fixture(scope="module")
def served_model(two_runs, tracking_server: str) -> Iterator[str]:
    """``mlflow models serve`` of the last run's model on 127.0.0.1, stopped by
    its PID (through the serving benchmark's own helper); its URL."""
    _, runs, _ = two_runs
    with served(f"runs:/{runs[-1].info.run_id}/model", tracking_server) as url:
        yield url


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.mark.slow
def test_the_served_model_answers_as_the_library_does(served_model, two_runs) -> None:
    _, _, project = two_runs
    questions = [
        json.loads(line)
        for line in (project / "data/01_raw/questions.jsonl").read_text().splitlines()
        if line.strip()
    ]
    rows = [
        {"id": q["id"], "question": q["question"], "context": q["context"]}
        for q in questions
    ]

    status, body = post(f"{served_model}/invocations", {"dataframe_records": rows})

    assert status == 200, body
    served = body["predictions"]
    model_folder = str(project / "data/06_models/fine_tuned_model")
    qa_model = QAModelDataset(filepath=model_folder).load()
    expected = answer_questions(
        to_question_dataset(pd.DataFrame(rows)),
        qa_model,
        AnswerSettings.of_model(qa_model, model_folder),
        chunk_size=100,
        batch_size=64,
        device="cpu",
    )
    assert [a["id"] for a in served] == [q["id"] for q in questions]
    for got, want in zip(served, expected, strict=True):
        assert (got["answer"], got["answer_start"], got["answer_end"]) == (
            want.answer,
            want.answer_start,
            want.answer_end,
        )
        assert got["score"] == pytest.approx(want.score, abs=1e-4)
        assert got["probability"] == pytest.approx(want.probability, abs=1e-4)


@pytest.mark.slow
def test_the_served_model_names_a_missing_column(served_model) -> None:
    status, body = post(
        f"{served_model}/invocations",
        {"dataframe_records": [{"id": "1", "question": "누구인가?"}]},
    )
    assert status >= 400
    assert "context" in json.dumps(body, ensure_ascii=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"id": "a", "question": "누구인가?", "context": " \u200b "}],
            "request: 1 rows have an empty or non-text 'context' (ids ['a'])",
        ),
        (
            [{"id": "a", "question": "누구인가?", "context": "바백섬"}] * 2,
            "request: ids must be unique; repeated: ['a']",
        ),
    ],
    ids=["blank context", "repeated id"],
)
def test_rows_that_cannot_be_answered_get_a_400_saying_why(
    served_model, rows, message
) -> None:
    status, body = post(f"{served_model}/invocations", {"dataframe_records": rows})
    assert status == 400
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert message in body["message"]


@pytest.mark.slow
def test_the_serving_benchmark_reports_both_batch_sizes(
    two_runs, tracking_server: str, tmp_path: Path
) -> None:
    _, runs, project = two_runs
    output = tmp_path / "serving_benchmark"
    status = serving.main(
        ["--tracking-uri", tracking_server, "--questions", "8"]
        + ["--examples", str(project / "data/02_intermediate/validation_examples")]
        + ["--output", str(output)]
    )
    assert status == 0
    report = json.loads(output.with_suffix(".json").read_text())
    # The newest run's model, found without being named.
    assert report["model_uri"] == f"runs:/{runs[-1].info.run_id}/model"
    assert set(report["answers_per_second"]) == {"1", "64"}
    assert all(rate > 0 for rate in report["answers_per_second"].values())
    assert "| 64 |" in output.with_suffix(".md").read_text()
