"""The Airflow DAG of deploy/airflow runs the reduced project end to end.

Airflow runs from its own virtualenv (``make airflow-venv``) as ``airflow dags
test``: no scheduler, a SQLite metadata database in a temporary AIRFLOW_HOME.
The DAG is generated from deploy/airflow/dag_template.j2 for the ``reduced``
environment; each of its tasks runs the project's ``kedro run --nodes=...`` in a
fresh project folder, with moto's S3 server on 127.0.0.1 as the storage root.
The run's record must show every node's task succeeded inside its stage's task
group, the train tasks in the ``gpu`` pool, and the metrics must equal the
reduced project's one-folder run.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import s3fs

from extractive_qa.pipeline_registry import STAGES, register_pipelines

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = REPO / ".venv-airflow" / "bin" / "airflow"
TEMPLATE = REPO / "deploy" / "airflow" / "dag_template.j2"
COMMITTED_DAG = REPO / "deploy" / "airflow" / "dags" / "extractive_qa_dag.py"
DAG_ID = "extractive_qa_reduced"
# Fewer than the reduced run lists, so that only the run setting explains it.
N_WORST = 3
BUCKET = "qa-airflow"
STORAGE = f"s3://{BUCKET}/reduced"


def kedro_airflow_create(
    project: Path, target: Path, env: dict, *options: str
) -> subprocess.CompletedProcess:
    """``make airflow-dag``'s command, run in ``project``, writing to ``target``."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "kedro", "airflow", "create"),
            *("--group-by", "memory", "--jinja-file", str(TEMPLATE)),
            *("--target-dir", str(target), *options),
        ],
        cwd=project,
        env=env,
        timeout=300,
        capture_output=True,
        text=True,
    )


def test_committed_dag_is_generated_from_the_template(
    tmp_path: Path, subprocess_env: dict
) -> None:
    made = kedro_airflow_create(REPO, tmp_path, subprocess_env, "--env", "local")
    assert made.returncode == 0, made.stderr[-4000:]
    fresh = (tmp_path / COMMITTED_DAG.name).read_text()
    assert fresh == COMMITTED_DAG.read_text(), (
        f"{COMMITTED_DAG.relative_to(REPO)} is not what the pipelines and "
        "deploy/airflow/dag_template.j2 make now; run `make airflow-dag`."
    )


@pytest.fixture(scope="module")
def bucket(s3: s3fs.S3FileSystem) -> s3fs.S3FileSystem:
    s3.mkdir(BUCKET)
    return s3


@dataclass(frozen=True)
class AirflowRun:
    """What ``airflow dags test`` left: its exit status, its log and its database."""

    returncode: int
    log: Path
    database: Path

    def log_tail(self) -> str:
        return self.log.read_text()[-6000:]

    def dag_limits(self) -> tuple[int, int]:
        """The DAG's max_active_runs and max_active_tasks, as recorded."""
        query = "SELECT max_active_runs, max_active_tasks FROM dag WHERE dag_id = ?"
        database = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        with closing(database):
            return database.execute(query, (DAG_ID,)).fetchone()

    def task_instances(self) -> dict[str, dict[str, str]]:
        """Task id -> state, pool and queue, as the metadata database recorded them."""
        query = "SELECT task_id, state, pool, queue FROM task_instance WHERE dag_id = ?"
        database = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        with closing(database):
            rows = database.execute(query, (DAG_ID,)).fetchall()
        return {
            task_id: {"state": state, "pool": pool, "queue": queue}
            for task_id, state, pool, queue in rows
        }


def airflow(env: dict, *args: str, log: Path | None = None) -> int:
    """The Airflow command line of the Airflow virtualenv; its output to ``log``."""
    with open(log or os.devnull, "w") as output:
        return subprocess.run(
            [str(AIRFLOW), *args],
            env=env,
            timeout=540,
            stdout=output,
            stderr=subprocess.STDOUT,
        ).returncode


# Session-wide, so that it is checked before the session's reduced project is built.
@pytest.fixture(scope="session")
def airflow_cli() -> Path:
    """Airflow's command line, or a failure that says how to get it."""
    if not AIRFLOW.exists():
        pytest.fail(
            f"{AIRFLOW} is missing: build Airflow's virtualenv with `make "
            "airflow-venv` (`make test` builds it before running the tests)."
        )
    return AIRFLOW


@pytest.fixture(scope="module")
def airflow_run(
    airflow_cli: Path,
    tmp_path_factory: pytest.TempPathFactory,
    reduced_project: Path,
    subprocess_env: dict,
    aws_env: dict,
    bucket: s3fs.S3FileSystem,
) -> AirflowRun:
    """The reduced project's DAG, run once by ``airflow dags test``."""
    worker = tmp_path_factory.mktemp("worker")
    shutil.copytree(reduced_project / "conf", worker / "conf")
    shutil.copy(reduced_project / "pyproject.toml", worker / "pyproject.toml")
    (worker / "src").mkdir()
    dags = tmp_path_factory.mktemp("dags")
    made = kedro_airflow_create(
        worker, dags, subprocess_env, "--env", "reduced", "--params", "retries=0"
    )
    assert made.returncode == 0, made.stderr[-4000:]

    home = tmp_path_factory.mktemp("airflow_home")
    database = home / "airflow.db"
    env = {
        **{k: v for k, v in aws_env.items() if not k.startswith("AIRFLOW")},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{database}",
        # Where the project is "on the worker": the Variables the DAG reads.
        "AIRFLOW_VAR_EXTRACTIVE_QA_PROJECT": str(worker),
        "AIRFLOW_VAR_EXTRACTIVE_QA_KEDRO": str(Path(sys.executable).parent / "kedro"),
    }
    setup_log = home / "setup.log"
    assert airflow(env, "db", "migrate", log=setup_log) == 0, setup_log.read_text()
    assert (
        airflow(env, "pools", "set", "gpu", "1", "GPU workers", log=setup_log) == 0
    ), setup_log.read_text()
    log = home / "dags_test.log"
    # A run setting that every task gets and only the error analysis reads.
    conf = json.dumps(
        {"storage": STORAGE, "settings": f"error_analysis.n_worst={N_WORST}"}
    )
    returncode = airflow(env, "dags", "test", DAG_ID, "--conf", conf, log=log)
    return AirflowRun(returncode=returncode, log=log, database=database)


@pytest.mark.slow
def test_the_run_settings_reach_the_tasks(airflow_run, bucket) -> None:
    assert airflow_run.returncode == 0, airflow_run.log_tail()
    worst = pd.read_csv(
        io.BytesIO(bucket.cat(f"{STORAGE}/08_reporting/worst_questions.csv"))
    )
    assert len(worst) == N_WORST


def stage_nodes() -> dict[str, set[str]]:
    pipelines = register_pipelines()
    return {stage: {node.name for node in pipelines[stage].nodes} for stage in STAGES}


@pytest.mark.slow
def test_every_node_ran_as_a_task_of_its_stage_group(airflow_run) -> None:
    assert airflow_run.returncode == 0, airflow_run.log_tail()
    tasks = airflow_run.task_instances()
    assert {t: i["state"] for t, i in tasks.items() if i["state"] != "success"} == {}
    ran: dict[str, set[str]] = {stage: set() for stage in STAGES}
    for task_id in tasks:
        # group.task, where a task that runs several nodes joins them with "__"
        stage, _, nodes = task_id.partition(".")
        ran.setdefault(stage, set()).update(nodes.split("__"))
    assert ran == stage_nodes()


@pytest.mark.slow
def test_train_tasks_take_the_gpu_pool(airflow_run) -> None:
    placement = {
        task_id: (instance["pool"], instance["queue"])
        for task_id, instance in airflow_run.task_instances().items()
    }
    assert placement, airflow_run.log_tail()
    for task_id, pool_and_queue in placement.items():
        on_gpu = task_id.startswith("train.")
        expected = ("gpu", "gpu") if on_gpu else ("default_pool", "default")
        assert pool_and_queue == expected, task_id


@pytest.mark.slow
def test_one_task_at_a_time_as_each_takes_the_storage_lock(airflow_run) -> None:
    # Sibling tasks (tokenize_train, tokenize_validation) would otherwise start
    # together on a real executor, and the second would find the lock taken.
    assert airflow_run.dag_limits() == (1, 1)


@pytest.mark.slow
def test_metrics_equal_the_one_folder_run(airflow_run, bucket, reduced_project) -> None:
    assert airflow_run.returncode == 0, airflow_run.log_tail()
    in_bucket = json.loads(bucket.cat(f"{STORAGE}/08_reporting/metrics.json"))
    one_folder = json.loads(
        (reduced_project / "data" / "08_reporting" / "metrics.json").read_text()
    )
    assert in_bucket == one_folder
