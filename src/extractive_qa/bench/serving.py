"""Answers per second of the served model: ``mlflow models serve`` of a run's
model on 127.0.0.1, asked batches of 1 and of 64 validation questions.

``python -m extractive_qa.bench.serving`` (``make bench-serving``) serves the
model of the newest run in the project's own MLflow store (``make run`` logs
one) unless ``--model-uri`` names another, and writes
``data/08_reporting/serving_benchmark.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import datasets

from extractive_qa.bench.machine import describe_machine

logger = logging.getLogger(__name__)

BATCH_SIZES = (1, 64)
SECONDS_TO_START = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(model_uri: str, tracking_uri: str) -> Iterator[str]:
    """``mlflow models serve`` of ``model_uri`` on a free 127.0.0.1 port, in this
    environment (--env-manager local); its URL. Stopped by its PID."""
    port = _free_port()
    venv_bin = Path(sys.executable).parent
    # mlflow starts `uvicorn` by name: the virtualenv's bin comes first on PATH.
    path = os.pathsep.join([str(venv_bin), os.environ.get("PATH", "")])
    server = subprocess.Popen(
        [str(venv_bin / "mlflow"), "models", "serve", "--env-manager", "local"]
        + ["-m", model_uri, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "PATH": path},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SECONDS_TO_START
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"mlflow models serve {model_uri} exited")
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"{model_uri} was not served in {SECONDS_TO_START} s")
        yield url
    finally:
        # Its workers are in its process group.
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait(timeout=30)


def ask(url: str, rows: list[dict]) -> list[dict]:
    """One POST of ``rows`` to the server; its answers."""
    request = urllib.request.Request(
        f"{url}/invocations",
        data=json.dumps({"dataframe_records": rows}, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.load(response)["predictions"]


def answers_per_second(url: str, rows: list[dict], batch_size: int) -> float:
    """Answers a second over ``rows`` sent ``batch_size`` at a time, one batch
    after another, after one warm-up batch."""
    ask(url, rows[:batch_size])
    started = time.perf_counter()
    for first in range(0, len(rows), batch_size):
        answers = ask(url, rows[first : first + batch_size])
        if len(answers) != len(rows[first : first + batch_size]):
            raise RuntimeError(f"{len(answers)} answers to {batch_size} questions")
    return len(rows) / (time.perf_counter() - started)


def newest_model_uri(tracking_uri: str, experiment: str) -> str:
    """The model of the newest run of ``experiment`` that logged one."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise SystemExit(f"no experiment {experiment!r} at {tracking_uri}: `make run`")
    for run in client.search_runs(
        [found.experiment_id], order_by=["attributes.start_time DESC"]
    ):
        if run.outputs and run.outputs.model_outputs:
            return f"runs:/{run.info.run_id}/model"
    raise SystemExit(f"no run at {tracking_uri} logged a model: `make run`")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m extractive_qa.bench.serving", description=__doc__
    )
    parser.add_argument(
        "--tracking-uri",
        default=f"sqlite:///{Path.cwd() / 'mlflow.db'}",
        help="the MLflow store (default: the project's own, sqlite:///mlflow.db)",
    )
    parser.add_argument("--experiment", default="extractive_qa")
    parser.add_argument("--model-uri", help="default: the newest run's model")
    parser.add_argument(
        "--examples",
        default="data/02_intermediate/validation_examples",
        help="a saved examples table whose question/context pairs are asked",
    )
    parser.add_argument(
        "--questions",
        type=int,
        default=256,
        help="questions answered per batch size, after one warm-up request",
    )
    parser.add_argument("--output", default="data/08_reporting/serving_benchmark")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    if not Path(args.examples).is_dir():
        parser.error(
            f"--examples {args.examples}: no saved examples table there; run "
            "`make run` (or `kedro run --nodes=load`) first, or name one."
        )
    model_uri = args.model_uri or newest_model_uri(args.tracking_uri, args.experiment)
    examples = datasets.load_from_disk(args.examples)
    rows = [
        {"id": str(i), "question": q, "context": c}
        for i, (q, c) in enumerate(
            zip(examples["question"], examples["context"], strict=True)
        )
    ]
    rows = (rows * (args.questions // len(rows) + 1))[: args.questions]
    results = {}
    with served(model_uri, args.tracking_uri) as url:
        for size in BATCH_SIZES:
            results[size] = answers_per_second(url, rows, size)
            logger.info("batch %d: %.1f answers/s", size, results[size])
    report = {
        "machine": describe_machine(),
        "model_uri": model_uri,
        "questions_per_batch_size": args.questions,
        "answers_per_second": {str(size): rate for size, rate in results.items()},
    }
    table = "| questions per request | answers per second |\n|---|---|\n" + "".join(
        f"| {size} | {rate:.1f} |\n" for size, rate in results.items()
    )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    output.with_suffix(".md").write_text(table)
    logger.info("answers per second of %s:\n%s", model_uri, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
