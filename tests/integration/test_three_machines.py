"""prepare, train and report on three machines that share only an S3 bucket.

The bucket is moto's standalone S3 server on 127.0.0.1; the machines are three
fresh project folders with no shared ``data/``. Each stage runs through the real
command line with ``--params=storage=s3://...``, and the metrics must equal the
reduced project's one-folder ``kedro run`` of the same configuration.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import s3fs
import yaml

from extractive_qa.run_lock import RunLock, RunLockedError

from ..test_run_lock import Overtaken
from .conftest import project_command
from .servers import kill_at_line

pytestmark = pytest.mark.slow

BUCKET = "qa-artifacts"
STORAGE = f"s3://{BUCKET}/reduced"
# What each stage leaves under the storage root, as the catalog names it.
PREPARED = [
    "02_intermediate/train_examples/state.json",
    "02_intermediate/validation_examples/state.json",
    "06_models/tokenizer/tokenizer.json",
    "06_models/base_model/model.safetensors",
    "04_feature/train_features/state.json",
    "04_feature/validation_features/state.json",
    "08_reporting/train_data_quality.json",
    "08_reporting/validation_data_quality.json",
]
TRAINED = [
    "06_models/fine_tuned_model/model.safetensors",
    "06_models/fine_tuned_model/config.json",
    "06_models/fine_tuned_model/tokenizer.json",
    "07_model_output/validation_logits/state.json",
    "08_reporting/training_curve.json",
]
REPORTED = [
    "07_model_output/validation_predictions.json",
    "07_model_output/validation_nbest.json",
    "07_model_output/validation_null_odds.json",
    "08_reporting/metrics.json",
    "08_reporting/question_scores.csv",
    "08_reporting/error_breakdown.csv",
    "08_reporting/error_breakdown.png",
    "08_reporting/worst_questions.csv",
    "08_reporting/training_curve.png",
]


@pytest.fixture(scope="module")
def bucket(s3: s3fs.S3FileSystem) -> s3fs.S3FileSystem:
    s3.mkdir(BUCKET)
    return s3


def new_machine(root: Path, reduced_project: Path) -> Path:
    """A fresh project folder: the reduced project's conf, no data at all."""
    shutil.copytree(reduced_project / "conf", root / "conf")
    shutil.copy(reduced_project / "pyproject.toml", root / "pyproject.toml")
    (root / "src").mkdir()
    return root


def kedro_run(
    machine: Path, env: dict, *args: str, command: str = "run"
) -> subprocess.CompletedProcess:
    return project_command(
        machine, env, "kedro", command, "--env", "reduced", *args, timeout=540
    )


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def machines(
    tmp_path_factory: pytest.TempPathFactory,
    reduced_project: Path,
    subprocess_env: dict,
    aws_env: dict,
    s3_endpoint: str,
    bucket: s3fs.S3FileSystem,
) -> dict[str, Path]:
    """prepare on the first machine, train on the second, report on the third.

    The first finds the bucket through the AWS_* environment variables; the
    other two, with none set, through their environment's credentials.yml, which
    must reach the catalog's entries and the training checkpoints alike."""
    machine = {
        stage: new_machine(tmp_path_factory.mktemp(f"machine_{stage}"), reduced_project)
        for stage in ("prepare", "train", "report")
    }
    no_aws = {k: v for k, v in subprocess_env.items() if not k.startswith("AWS_")}
    credentials = {
        "storage": {
            "key": aws_env["AWS_ACCESS_KEY_ID"],
            "secret": aws_env["AWS_SECRET_ACCESS_KEY"],
            "client_kwargs": {"endpoint_url": s3_endpoint},
        }
    }
    for stage in ("train", "report"):
        (machine[stage] / "conf" / "reduced" / "credentials.yml").write_text(
            yaml.safe_dump(credentials)
        )
    for stage, env in (("prepare", aws_env), ("train", no_aws), ("report", no_aws)):
        run = kedro_run(
            machine[stage], env, f"--pipelines={stage}", f"--params=storage={STORAGE}"
        )
        assert run.returncode == 0, f"{stage}:\n{run.stderr[-4000:]}"
    return machine


def test_every_artifact_is_in_the_bucket(machines, bucket) -> None:
    missing = [
        key
        for key in PREPARED + TRAINED + REPORTED
        if not bucket.exists(f"{STORAGE}/{key}")
    ]
    assert not missing
    # Published whole: no staging prefix outlives a save.
    assert not [key for key in bucket.find(STORAGE) if ".partial-" in key]


def test_train_and_report_machines_keep_nothing_on_local_disk(machines) -> None:
    for stage in ("train", "report"):
        written = [
            path
            for path in files_under(machines[stage])
            # .viz/ is kedro-viz's record of the run (node times, dataset sizes);
            # mlflow.db and mlartifacts/ the machine's own tracking store, since
            # no MLFLOW_TRACKING_URI names a shared one here.
            if not path.startswith(("conf/", ".viz/", "mlartifacts/"))
            and path not in ("pyproject.toml", "mlflow.db")
        ]
        assert written == [], stage
    # Only the first machine read raw data, and raw data stays where it points.
    raw = files_under(machines["prepare"] / "data")
    assert raw and all(path.startswith("01_raw/") for path in raw)


def test_metrics_equal_the_one_folder_run(machines, bucket, reduced_project) -> None:
    on_s3 = json.loads(bucket.cat(f"{STORAGE}/08_reporting/metrics.json"))
    one_folder = json.loads(
        (reduced_project / "data" / "08_reporting" / "metrics.json").read_text()
    )
    assert on_s3 == one_folder


def test_report_refuses_features_rebuilt_after_training(
    machines, bucket, aws_env
) -> None:
    metrics_before = bucket.cat(f"{STORAGE}/08_reporting/metrics.json")
    rebuilt = kedro_run(
        machines["prepare"],
        aws_env,
        "--nodes=tokenize_train,tokenize_validation",
        f"--params=storage={STORAGE},tokenization.max_length=256",
    )
    assert rebuilt.returncode == 0, rebuilt.stderr[-4000:]

    refused = kedro_run(
        machines["report"], aws_env, "--pipelines=report", f"--params=storage={STORAGE}"
    )
    assert refused.returncode != 0
    assert "StaleArtifactError" in refused.stderr
    assert (
        "validation_features is stale: made with tokenization.max_length: "
        "256 -> 384." in refused.stderr
    )
    # The stages to run again, from the one that makes the windows, not nodes
    # that would train on the CPU machine.
    assert (
        "each on its own machine:\n    kedro run --pipelines=prepare\n"
        "    kedro run --pipelines=train\n    kedro run --pipelines=report\n"
    ) in refused.stderr
    assert bucket.cat(f"{STORAGE}/08_reporting/metrics.json") == metrics_before
    # kedro status gives the same stages.
    status = kedro_run(
        machines["report"], aws_env, f"--params=storage={STORAGE}", command="status"
    )
    assert status.returncode == 0, status.stderr[-4000:]
    features = next(
        line for line in status.stdout.splitlines() if line.startswith("validation_f")
    )
    assert features.endswith(
        "rebuild: kedro run --pipelines=prepare, then kedro run --pipelines=train, "
        "then kedro run --pipelines=report, each on its machine"
    )


def test_train_killed_on_one_machine_resumes_on_another(
    tmp_path_factory, reduced_project, machines, bucket, aws_env
) -> None:
    """SIGKILL the train stage once its first checkpoint is in the bucket; the
    same stage on a second GPU machine fetches it and finishes the run."""
    storage = f"s3://{BUCKET}/resumed"
    params = f"--params=storage={storage},training.num_train_epochs=2"
    prepared = kedro_run(machines["prepare"], aws_env, "--pipelines=prepare", params)
    assert prepared.returncode == 0, prepared.stderr[-4000:]

    first_gpu = new_machine(tmp_path_factory.mktemp("machine_gpu1"), reduced_project)
    stored = f"{storage}/06_models/fine_tune_work/run-*/checkpoint-*/trainer_state.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "kedro", "run", "--env", "reduced"]
        + ["--pipelines=train", params],
        cwd=first_gpu,
        env=aws_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Logged once the checkpoint is whole in the bucket (published, not staged).
    uploaded = kill_at_line(process, "uploaded checkpoint-", limit_s=300)
    assert process.returncode == -9, "train ended before the kill"
    bucket.invalidate_cache()
    published = [key for key in bucket.glob(stored) if ".partial-" not in key]
    assert published, f"the log said {uploaded.strip()!r}, the bucket has no checkpoint"
    assert not bucket.exists(f"{storage}/06_models/fine_tuned_model/config.json")

    second_gpu = new_machine(tmp_path_factory.mktemp("machine_gpu2"), reduced_project)
    resumed = kedro_run(second_gpu, aws_env, "--pipelines=train", params)
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    log = resumed.stdout + resumed.stderr
    assert "checkpoint-" in log and "to resume from" in log
    assert f"fetched {storage}/06_models/fine_tune_work/run-" in log
    curve = json.loads(bucket.cat(f"{storage}/08_reporting/training_curve.json"))
    # The epoch before the kill came back with the checkpoint's state.
    assert [r["epoch"] for r in curve if r["eval_f1"] is not None] == [1, 2]
    assert bucket.exists(f"{storage}/06_models/fine_tuned_model/model.safetensors")
    # A finished run removes its checkpoints from the bucket.
    bucket.invalidate_cache()
    assert not bucket.glob(f"{storage}/06_models/fine_tune_work/run-*")
    # The model kept is the best epoch's, even when that epoch ran on the
    # killed machine: scored by the report stage, it gives the curve's best F1.
    reported = kedro_run(second_gpu, aws_env, "--pipelines=report", params)
    assert reported.returncode == 0, reported.stderr[-4000:]
    metrics = json.loads(bucket.cat(f"{storage}/08_reporting/metrics.json"))
    best = max(r["eval_f1"] for r in curve if r["eval_f1"] is not None)
    assert metrics["korquad"]["f1"] == pytest.approx(best, abs=1e-3)


def test_parquet_tables_give_the_same_metrics(
    tmp_path_factory, reduced_project, bucket, aws_env
) -> None:
    """The whole run in one folder with examples, windows and logits as Parquet
    on S3: the same metrics as the Arrow run."""
    storage = f"s3://{BUCKET}/parquet"
    machine = new_machine(tmp_path_factory.mktemp("machine_parquet"), reduced_project)
    shutil.copytree(reduced_project / "data" / "01_raw", machine / "data" / "01_raw")
    run = kedro_run(
        machine, aws_env, f"--params=storage={storage},table_format=parquet"
    )
    assert run.returncode == 0, run.stderr[-4000:]
    for table in ("04_feature/train_features", "07_model_output/validation_logits"):
        assert bucket.exists(f"{storage}/{table}/data.parquet")
        assert not bucket.exists(f"{storage}/{table}/state.json")
    on_s3 = json.loads(bucket.cat(f"{storage}/08_reporting/metrics.json"))
    one_folder = json.loads(
        (reduced_project / "data" / "08_reporting" / "metrics.json").read_text()
    )
    assert on_s3 == one_folder


def test_of_two_runs_that_start_together_on_a_bucket_one_holds_the_lock(
    bucket: s3fs.S3FileSystem,
) -> None:
    """The lock file is created with a conditional put: the run that comes
    second is refused, even when it found no lock a moment before."""
    root = f"{BUCKET}/together"
    second = RunLock(bucket, root)
    first = Overtaken(bucket, root, other=second)

    with pytest.raises(RunLockedError, match="Another run holds the lock"):
        first.acquire()

    assert json.loads(bucket.cat(second.path))["token"] == second.token
    second.release()
    assert not bucket.exists(second.path)
