"""One reduced project, run once, shared by the tests that need persisted
artifacts (answering, kedro viz in a browser, the notebook, torchrun).

The repository's conf is copied into a temporary project folder with an extra
``reduced`` environment (fewer questions, a smaller model, one epoch), the
default pipeline runs once through Kedro, and each test works on the result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import s3fs
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from extractive_qa.bench.storage import moto_server

REPO = Path(__file__).resolve().parents[2]

REDUCED_CATALOG = {
    "raw_train": {
        "type": "extractive_qa.datasets.SyntheticKorQuADDataset",
        "filepath": "data/01_raw/synthetic_korquad_train.json",
        "split": "train",
        "n_questions": 200,
        "seed": 13,
        "metadata": {"kedro-viz": {"layer": "raw"}},
    },
    "raw_validation": {
        "type": "extractive_qa.datasets.SyntheticKorQuADDataset",
        "filepath": "data/01_raw/synthetic_korquad_validation.json",
        "split": "validation",
        "n_questions": 40,
        "seed": 13,
        "metadata": {"kedro-viz": {"layer": "raw"}},
    },
}
REDUCED_PARAMETERS = {
    "model": {"demo": {"hidden_size": 32, "intermediate_size": 64}},
    "training": {"num_train_epochs": 1, "logging_steps": 5},
}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: size and modification time in ns."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


def project_command(
    project: Path, env: dict, *arguments: str, timeout: int = 600
) -> subprocess.CompletedProcess:
    """``python -m <arguments>`` run in ``project``, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", *arguments],
        cwd=project,
        env=env,
        timeout=timeout,
        capture_output=True,
        text=True,
    )


def copy_project(root: Path) -> Path:
    """The repository's conf, example questions and notebooks under ``root``,
    plus the ``reduced`` environment; the package is the installed one."""
    # A developer's own (git-ignored) credentials stay out; the placeholder
    # the catalog refers to comes along.
    shutil.copytree(
        REPO / "conf",
        root / "conf",
        ignore=shutil.ignore_patterns("local", "*credentials*"),
    )
    shutil.copy(REPO / "conf/base/credentials.yml", root / "conf/base")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    (root / "data" / "01_raw").mkdir(parents=True)
    shutil.copy(
        REPO / "data" / "01_raw" / "questions.jsonl",
        root / "data" / "01_raw" / "questions.jsonl",
    )
    (root / "conf" / "local").mkdir(exist_ok=True)
    (root / "src").mkdir()
    reduced = root / "conf" / "reduced"
    reduced.mkdir()
    (reduced / "catalog.yml").write_text(yaml.safe_dump(REDUCED_CATALOG))
    (reduced / "parameters.yml").write_text(yaml.safe_dump(REDUCED_PARAMETERS))
    return root


@pytest.fixture(scope="session")
def reduced_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder after one reduced default run."""
    root = copy_project(tmp_path_factory.mktemp("reduced_project"))
    bootstrap_project(root)
    with KedroSession.create(project_path=root, env="reduced") as session:
        session.run()
    return root


@pytest.fixture(scope="session")
def subprocess_env() -> dict[str, str]:
    """The environment of every subprocess: offline, no telemetry."""
    return {
        **os.environ,
        "KEDRO_DISABLE_TELEMETRY": "true",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }


# moto accepts any key pair; the tests pass these both ways a user would: as
# AWS_* variables and in an environment's credentials.yml.
S3_KEYS = {"key": "testing", "secret": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on a free 127.0.0.1 port, stopped by its PID
    at the end of the session; its endpoint URL."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def s3(s3_endpoint: str) -> s3fs.S3FileSystem:
    """A client of that server, for creating buckets and reading what landed."""
    return s3fs.S3FileSystem(**S3_KEYS, client_kwargs={"endpoint_url": s3_endpoint})


# moto checks keys (its IAM) from the first request with this environment: keys
# that exist nowhere there are refused with 403.
KEY_CHECKS = {"INITIAL_NO_AUTH_ACTION_COUNT": "0"}


@pytest.fixture(scope="session")
def aws_env(subprocess_env: dict[str, str], s3_endpoint: str) -> dict[str, str]:
    """The subprocess environment with the server's keys and endpoint as AWS_*."""
    return {
        **subprocess_env,
        "AWS_ACCESS_KEY_ID": S3_KEYS["key"],
        "AWS_SECRET_ACCESS_KEY": S3_KEYS["secret"],
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        # Wide enough that Kedro's rich log lines are not wrapped.
        "COLUMNS": "400",
    }
