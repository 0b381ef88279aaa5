"""Bad input files and unusable model sources stop a real `kedro run` with a
non-zero exit, the cause in the last lines of output, and nothing persisted
changed; the repairable cases (an off answer_start, decomposed Hangul) pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from extractive_qa.demo.synthetic import generate_korquad

from .conftest import snapshot

pytestmark = pytest.mark.slow

VALIDATION_FILE = "data/01_raw/validation.json"
CATALOG = {
    "raw_train": {
        "type": "extractive_qa.datasets.SyntheticKorQuADDataset",
        "filepath": "data/01_raw/synthetic_korquad_train.json",
        "split": "train",
        "n_questions": 40,
        "seed": 13,
    },
    "raw_validation": {
        "type": "extractive_qa.datasets.SquadJSONDataset",
        "filepath": VALIDATION_FILE,
    },
}


def good_validation() -> dict:
    return generate_korquad(split="validation", n_questions=20, seed=13)


@pytest.fixture(scope="module")
def project(tmp_path_factory, project_factory) -> Path:
    """A project whose load node has run once on good files."""
    root = project_factory(tmp_path_factory.mktemp("bad_input"), CATALOG, {})
    (root / "data/01_raw").mkdir(parents=True)
    write_validation(root, good_validation())
    done = kedro(root, "--nodes=load")
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def write_validation(root: Path, document: dict) -> None:
    (root / VALIDATION_FILE).write_text(
        json.dumps(document, ensure_ascii=False), encoding="utf-8"
    )


def kedro(root: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--env", "reduced", *arguments],
        cwd=root,
        env={
            **os.environ,
            "KEDRO_DISABLE_TELEMETRY": "true",
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
        },
        timeout=300,
        capture_output=True,
        text=True,
    )


def fails_with(root: Path, document: dict | None, *arguments: str) -> list[str]:
    """Run with ``document`` as the validation file (None: the good one); check
    the run failed and changed nothing under data/ but that file; the last
    lines of its output."""
    write_validation(root, document or good_validation())
    before = snapshot(root / "data")
    done = kedro(root, *arguments)
    assert done.returncode == 1, done.stderr[-3000:]
    assert snapshot(root / "data") == before
    assert "Traceback" not in done.stderr
    # MLflow's advice to pyfunc authors is not part of any run's output.
    assert "Add type hints" not in done.stdout + done.stderr
    return done.stderr.strip().splitlines()


def _first_answers(document: dict, count: int) -> list[dict]:
    return [
        paragraph["qas"][0]["answers"][0]
        for article in document["data"][:count]
        for paragraph in article["paragraphs"][:1]
    ]


def test_malformed_answers_end_the_run_naming_file_records_and_fix(project):
    document = good_validation()
    no_text, null_start, word_start = _first_answers(document, 3)
    del no_text["text"]
    null_start["answer_start"] = None
    word_start["answer_start"] = "abc"

    lines = fails_with(project, document, "--nodes=load")

    path = project / VALIDATION_FILE
    assert lines[-6] == "Run failed in node 'load': MalformedRecordsError"
    assert lines[-5].startswith(f"raw_validation ({path}): 3 of ")
    assert lines[-4].endswith("answers[0] has no 'text'")
    assert lines[-3].endswith("answers[0].answer_start is None, not a whole number ≥ 0")
    assert lines[-2].endswith(
        "answers[0].answer_start is 'abc', not a whole number ≥ 0"
    )
    assert "set data_loading.on_invalid: skip to drop them." in lines[-1]
    assert "The full traceback is in" in lines[-7]


def test_empty_data_list_ends_the_run(project):
    lines = fails_with(project, {"version": "x", "data": []}, "--nodes=load")

    assert lines[-2] == "Run failed in node 'load': EmptySplitError"
    assert lines[-1].startswith(
        f"raw_validation ({project / VALIDATION_FILE}): the source holds no questions"
    )


def test_skip_that_leaves_nothing_ends_the_run(project):
    document = good_validation()
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                qa["answers"] = [{"text": "없는 답", "answer_start": 0}]

    lines = fails_with(
        project, document, "--nodes=load", "--params=data_loading.on_invalid=skip"
    )

    assert lines[-2] == "Run failed in node 'load': EmptySplitError"
    questions = sum(len(p["qas"]) for a in document["data"] for p in a["paragraphs"])
    assert f"no record is left: all {questions} were dropped ({questions} " in lines[-1]
    assert "answer not in context)" in lines[-1]


def test_leak_with_on_leak_error_ends_the_run(project):
    train = generate_korquad(split="train", n_questions=40, seed=13)
    document = good_validation()
    document["data"].append(train["data"][0])

    lines = fails_with(
        project, document, "--nodes=load", "--params=data_loading.on_leak=error"
    )

    assert lines[-2] == "Run failed in node 'load': LeakageError"
    assert "training records also occur in validation" in lines[-1]
    assert "data_loading.on_leak: drop_from_train" in lines[-1]


@pytest.fixture(scope="module")
def checkpoints(project, tmp_path_factory) -> dict[str, Path]:
    """Broken copies of the base model the good run's prepare_model wrote."""
    # The examples were loaded from the good file; the cases above left others.
    write_validation(project, good_validation())
    done = kedro(project, "--nodes=prepare_model")
    assert done.returncode == 0, done.stderr[-3000:]
    base = project / "data/06_models/base_model"
    root = tmp_path_factory.mktemp("checkpoints")
    broken = {}
    for case in ("no_weights", "pickle_only", "no_tokenizer", "custom_code"):
        folder = root / case
        subprocess.run(["cp", "-r", str(base), str(folder)], check=True)
        broken[case] = folder
    (broken["no_weights"] / "model.safetensors").unlink()
    (broken["pickle_only"] / "model.safetensors").rename(
        broken["pickle_only"] / "pytorch_model.bin"
    )
    for name in ("tokenizer.json", "vocab.txt"):
        (broken["no_tokenizer"] / name).unlink(missing_ok=True)
    config_file = broken["custom_code"] / "config.json"
    config = json.loads(config_file.read_text())
    config["auto_map"] = {"AutoModelForQuestionAnswering": "modeling_x.XForQA"}
    config_file.write_text(json.dumps(config))
    broken["missing"] = root / "no-such-folder"
    return broken


@pytest.mark.parametrize(
    ("case", "kind", "says"),
    [
        ("missing", "ModelSourceError", ": no such folder ("),
        ("no_weights", "ModelSourceError", " holds no weights: no model.safetensors"),
        ("pickle_only", "UnsafeWeightsError", " holds no safetensors weights"),
        ("no_tokenizer", "ModelSourceError", " holds no tokenizer (none of"),
        ("custom_code", "ModelSourceError", "config.json names custom code"),
    ],
)
def test_unusable_checkpoint_stops_before_any_node(
    project, checkpoints, case, kind, says
):
    folder = checkpoints[case]

    lines = fails_with(
        project, None, "--nodes=prepare_model", f"--params=model.checkpoint={folder}"
    )

    assert lines[-2] == f"Run failed: {kind}"
    assert lines[-1].startswith(f"model.checkpoint: {folder}")
    assert says in lines[-1]
    assert lines[-1].endswith("No node ran.")


def test_off_starts_and_decomposed_hangul_pass_and_are_counted(project):
    document = good_validation()
    off, *_ = _first_answers(document, 1)
    off["answer_start"] += 2
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            paragraph["context"] = unicodedata.normalize("NFD", paragraph["context"])
    write_validation(project, document)

    done = kedro(project, "--nodes=load")

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(
        (project / "data/08_reporting/validation_data_quality.json").read_text()
    )
    assert report["repaired_answer_starts"] == 1
    assert report["normalised_records"] == report["checked"] == report["kept"]
    # Output to a pipe is one plain line per record, however long.
    assert any(
        line.endswith(
            "Running node: load: load([raw_train;raw_validation;"
            "params:data_loading;params:task]) -> [train_examples;"
            "validation_examples;"
            "train_data_quality;validation_data_quality]"
        )
        for line in (done.stdout + done.stderr).splitlines()
    )
