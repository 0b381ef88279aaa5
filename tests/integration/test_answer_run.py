"""`kedro run --pipelines=answer` and `python -m extractive_qa answer` on the
model the reduced run trained."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from kedro.framework.startup import bootstrap_project

from extractive_qa.bench.storage import moto_server
from extractive_qa.pipeline_registry import register_pipelines

from .conftest import KEY_CHECKS, copy_project, project_command

QUESTIONS = "data/01_raw/questions.jsonl"
ANSWERS = "data/07_model_output/answers.jsonl"
MODEL = "data/06_models/fine_tuned_model"


def kedro(project: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return project_command(project, env, "kedro", "run", *args, timeout=300)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def answered(reduced_project: Path, subprocess_env: dict) -> list[dict]:
    run = kedro(
        reduced_project, subprocess_env, "--env", "reduced", "--pipelines", "answer"
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return read_jsonl(reduced_project / ANSWERS)


def test_answer_is_not_part_of_the_default_run(reduced_project: Path):
    bootstrap_project(reduced_project)
    pipelines = register_pipelines()
    assert "answer" in pipelines
    assert "answer" not in {node.name for node in pipelines["__default__"].nodes}


def test_every_example_question_gets_an_answer_cut_from_its_context(
    reduced_project: Path, answered: list[dict]
):
    questions = read_jsonl(reduced_project / QUESTIONS)
    assert [a["id"] for a in answered] == [q["id"] for q in questions]
    for answer, question in zip(answered, questions, strict=True):
        assert answer["question"] == question["question"]
        start, end = answer["answer_start"], answer["answer_end"]
        assert answer["answer"] == question["context"][start:end]
        assert isinstance(answer["score"], float)


def test_csv_questions_without_ids(reduced_project: Path, subprocess_env: dict):
    questions = pd.read_json(reduced_project / QUESTIONS, lines=True)
    questions.drop(columns="id").to_csv(reduced_project / "data/01_raw/q.csv")
    csv_env = reduced_project / "conf" / "csv"
    csv_env.mkdir(exist_ok=True)
    catalog = {
        "questions": {
            "type": "pandas.CSVDataset",
            "filepath": "data/01_raw/q.csv",
            "load_args": {"index_col": 0},
        },
        "answers": {"type": "pandas.CSVDataset", "filepath": "data/08_reporting/a.csv"},
    }
    (csv_env / "catalog.yml").write_text(yaml.safe_dump(catalog))
    # The model was trained with the reduced env's parameters; an env with
    # other training settings would find it stale.
    shutil.copy(reduced_project / "conf/reduced/parameters.yml", csv_env)
    run = kedro(
        reduced_project, subprocess_env, "--env", "csv", "--pipelines", "answer"
    )
    assert run.returncode == 0, run.stderr[-3000:]
    answers = pd.read_csv(
        reduced_project / "data/08_reporting/a.csv",
        keep_default_na=False,
        dtype={"id": str},
    )
    assert list(answers["id"]) == [str(i) for i in range(1, len(questions) + 1)]
    for row, context in zip(answers.itertuples(), questions["context"], strict=True):
        assert row.answer == context[row.answer_start : row.answer_end]


def test_command_line_answers_like_the_pipeline(
    reduced_project: Path, answered: list[dict], subprocess_env: dict
):
    question = read_jsonl(reduced_project / QUESTIONS)[-1]
    result = subprocess.run(
        [sys.executable, "-m", "extractive_qa", "answer", "--json"]
        + ["--model", str(reduced_project / MODEL)]
        + ["--question", question["question"], "--context", question["context"]],
        env=subprocess_env,
        timeout=300,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = json.loads(result.stdout)
    expected = answered[-1]
    assert printed["answer"] == expected["answer"]
    assert (printed["answer_start"], printed["answer_end"]) == (
        expected["answer_start"],
        expected["answer_end"],
    )
    assert printed["score"] == pytest.approx(expected["score"], abs=1e-4)


def answer_with_model(model: str, env: dict) -> subprocess.CompletedProcess:
    """The answer command on one question with ``--model model``."""
    return subprocess.run(
        [sys.executable, "-m", "extractive_qa", "answer"]
        + ["--model", model, "--question", "q", "--context", "c"],
        env=env,
        timeout=300,
        capture_output=True,
        text=True,
    )


def test_command_line_names_a_missing_model_directory(
    tmp_path: Path, subprocess_env: dict
):
    result = answer_with_model(str(tmp_path / "nowhere"), subprocess_env)
    assert result.returncode == 2
    assert f"error: --model {tmp_path / 'nowhere'}: no saved model there" in (
        result.stderr
    )
    assert "catalog" not in result.stderr


def test_command_line_names_a_missing_bucket(aws_env: dict, s3_endpoint: str):
    result = answer_with_model("s3://no-such-models/fine_tuned_model", aws_env)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: --model s3://no-such-models/fine_tuned_model: the bucket "
        f"s3://no-such-models does not exist at endpoint {s3_endpoint}."
    )
    assert "correct the bucket's name in --model=... ." in result.stderr
    assert "no saved model there" not in result.stderr


def test_command_line_names_refused_keys(subprocess_env: dict):
    # Keys that exist nowhere on a server that checks them.
    with moto_server(KEY_CHECKS) as checking:
        wrong = {
            "AWS_ACCESS_KEY_ID": "wrong",
            "AWS_SECRET_ACCESS_KEY": "wrong",
            "AWS_ENDPOINT_URL": checking,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        result = answer_with_model(
            "s3://models/fine_tuned_model", subprocess_env | wrong
        )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: --model s3://models/fine_tuned_model: access denied at "
        f"endpoint {checking} ("
    )
    assert "may not read under s3://models/fine_tuned_model." in result.stderr
    # The command reads no configuration: the advice names no credentials.yml.
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in result.stderr
    assert "credentials.yml" not in result.stderr
    assert "save_pretrained" not in result.stderr


def answer_file(
    project: Path,
    questions: Path | str,
    env: dict,
    stdin: str | None = None,
    model: Path | None = None,
) -> subprocess.CompletedProcess:
    """The answer command on a --questions file (or - with ``stdin``), with
    ``model``, by default the reduced project's."""
    return subprocess.run(
        [sys.executable, "-m", "extractive_qa", "answer", "--questions"]
        + [str(questions), "--model", str(model or project / MODEL)],
        input=stdin,
        env=env,
        timeout=300,
        capture_output=True,
        text=True,
    )


def answer_cli(subprocess_env: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "extractive_qa", "answer", *arguments]
        + ["--question", "김민수는 어디에서 태어났는가?"]
        + ["--context", "김민수는 부산에서 태어났다."],
        env=subprocess_env,
        timeout=300,
        capture_output=True,
        text=True,
    )


def test_command_line_names_a_model_folder_without_tokenizer(
    reduced_project: Path, tmp_path: Path, subprocess_env: dict
):
    folder = tmp_path / "model"
    shutil.copytree(reduced_project / MODEL, folder)
    for name in ("tokenizer.json", "vocab.txt"):
        (folder / name).unlink(missing_ok=True)

    result = answer_cli(subprocess_env, "--model", str(folder))

    assert result.returncode == 2
    assert f"{folder} holds no tokenizer (none of tokenizer.json" in result.stderr
    assert "Failed while loading data" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("--model takes a")


def model_copy(reduced_project: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(reduced_project / MODEL, folder)
    return folder


def test_command_line_reads_the_settings_saved_with_the_model(
    reduced_project: Path, tmp_path: Path, subprocess_env: dict
):
    folder = model_copy(reduced_project, tmp_path)
    settings_file = folder / "qa_settings.json"
    saved = json.loads(settings_file.read_text())
    assert saved["version_2_with_negative"] is False
    assert set(saved["tokenization"]) == {
        "max_length",
        "doc_stride",
        "max_query_length",
    }
    plain = json.loads(
        answer_cli(subprocess_env, "--model", str(folder), "--json").stdout
    )
    assert plain["answer"]

    # SQuAD v2 mode with a threshold the null score always beats: no answer.
    saved_v2 = saved | {
        "version_2_with_negative": True,
        "postprocessing": saved["postprocessing"] | {"null_score_diff_threshold": -1e9},
    }
    settings_file.write_text(json.dumps(saved_v2))
    result = answer_cli(subprocess_env, "--model", str(folder), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    unanswered = json.loads(result.stdout)
    # The empty answer carries the null's share of the mass the span shares.
    null_probability = unanswered.pop("probability")
    assert 0.0 < null_probability < 1.0 - plain["probability"]
    assert unanswered | {"score": None} == {
        "answer": "",
        "score": None,
        "answer_start": -1,
        "answer_end": -1,
    }

    # A saved window too short for the questions is refused; an option replaces it.
    short = saved | {"tokenization": saved["tokenization"] | {"max_length": 20}}
    settings_file.write_text(json.dumps(short))
    refused = answer_cli(subprocess_env, "--model", str(folder))
    assert refused.returncode == 2
    assert "max_length (20)" in refused.stderr
    assert "--max-length" in refused.stderr
    given = saved["tokenization"]["max_length"]
    replaced = answer_cli(
        subprocess_env, "--model", str(folder), "--json", "--max-length", str(given)
    )
    assert json.loads(replaced.stdout) == plain

    # A hand-edited file with a field of the wrong type is named, not compared.
    typed = saved | {"tokenization": saved["tokenization"] | {"max_length": "384"}}
    settings_file.write_text(json.dumps(typed))
    damaged = answer_cli(subprocess_env, "--model", str(folder))
    assert damaged.returncode == 2
    assert (
        f"{folder}/qa_settings.json: 'tokenization.max_length' is '384' (str), "
        "not a whole number" in damaged.stderr
    )
    assert "Traceback" not in damaged.stderr


def test_command_line_without_saved_settings_needs_every_option(
    reduced_project: Path, tmp_path: Path, subprocess_env: dict
):
    folder = model_copy(reduced_project, tmp_path)
    saved = json.loads((folder / "qa_settings.json").read_text())
    (folder / "qa_settings.json").unlink()
    plain = answer_cli(subprocess_env, "--model", str(folder), "--max-length", "384")
    assert plain.returncode == 2
    assert "holds no qa_settings.json" in plain.stderr
    assert "give all of --max-length, --doc-stride" in plain.stderr

    options = saved["tokenization"] | {
        k: v
        for k, v in saved["postprocessing"].items()
        if k != "null_score_diff_threshold"
    }
    arguments = [
        item
        for name, value in options.items()
        for item in (f"--{name.replace('_', '-')}", str(value))
    ]
    given = answer_cli(subprocess_env, "--model", str(folder), "--json", *arguments)
    assert given.returncode == 0, given.stderr[-2000:]
    restored = model_copy(reduced_project, tmp_path / "again")
    expected = answer_cli(subprocess_env, "--model", str(restored), "--json")
    assert json.loads(given.stdout) == json.loads(expected.stdout)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_command_line_names_a_device_that_is_not_there(
    reduced_project: Path, subprocess_env: dict
):
    result = answer_cli(
        subprocess_env, "--model", str(reduced_project / MODEL), "--device", "cuda"
    )

    assert result.returncode == 2
    assert "error: device 'cuda' is not available on this machine" in result.stderr
    assert "Traceback" not in result.stderr


def test_push_switched_on_without_a_token_stops_before_any_node(
    reduced_project: Path, subprocess_env: dict
):
    env = {k: v for k, v in subprocess_env.items() if k != "HF_TOKEN"}
    run = kedro(
        reduced_project,
        env,
        "--env",
        "reduced",
        "--nodes",
        "push_to_hub",
        "--params",
        "hub.push_to_hub=true,hub.repo_id=someone/tiny-qa",
    )
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert "MissingHubTokenError" in output
    assert "someone/tiny-qa" in output
    assert "Running node: push_to_hub" not in output


def test_the_token_is_never_logged_or_written(
    reduced_project: Path, subprocess_env: dict
):
    secret = "hf_secret_marker_4242"
    run = kedro(
        reduced_project,
        {**subprocess_env, "HF_TOKEN": secret},
        "--env",
        "reduced",
        "--nodes",
        "push_to_hub",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "stays local" in run.stdout + run.stderr
    assert secret not in run.stdout + run.stderr
    written = [
        path
        for path in (reduced_project / "data").rglob("*")
        if path.is_file() and secret.encode() in path.read_bytes()
    ]
    assert written == []


def test_command_line_answers_json_lines_as_the_pipeline_does(
    reduced_project: Path, answered: list[dict], subprocess_env: dict
):
    questions = reduced_project / QUESTIONS
    result = answer_file(
        reduced_project,
        "-",
        subprocess_env,
        stdin=questions.read_text(encoding="utf-8"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in printed] == [row["id"] for row in answered]
    for got, want in zip(printed, answered, strict=True):
        assert (got["answer"], got["answer_start"], got["answer_end"]) == (
            want["answer"],
            want["answer_start"],
            want["answer_end"],
        )
        assert got["score"] == pytest.approx(want["score"], abs=1e-4)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--batch-size", "0"], "argument --batch-size: 0 is below 1"),
        (["--max-answer-length", "0"], "argument --max-answer-length: 0 is below 1"),
        (["--n-best-size", "-2"], "argument --n-best-size: -2 is below 1"),
        (["--doc-stride", "x"], "argument --doc-stride: 'x' is not a whole number"),
        (["--device", "gpu"], "error: device 'gpu' is not a device torch knows"),
        (
            ["--null-score-diff-threshold", "nan"],
            "argument --null-score-diff-threshold: 'nan' is not a finite number",
        ),
        (["--model", "foo://x"], "error: --model foo://x: Protocol not known: foo"),
    ],
)
def test_command_line_refuses_bad_options_before_loading_anything(
    tmp_path: Path, subprocess_env: dict, arguments: list[str], message: str
):
    # No model folder at all: the options are checked before the model loads.
    result = answer_cli(subprocess_env, "--model", str(tmp_path / "none"), *arguments)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_command_line_names_the_line_that_is_not_json(
    reduced_project: Path, tmp_path: Path, subprocess_env: dict
):
    lines = tmp_path / "questions.jsonl"
    lines.write_text('{"question": "q", "context": "c"}\n\nnot json\n')
    result = answer_file(reduced_project, lines, subprocess_env)
    assert result.returncode == 2
    assert f"error: {lines}, line 3: not JSON" in result.stderr


def test_command_line_names_its_questions_file_in_a_table_error(
    reduced_project: Path, tmp_path: Path, subprocess_env: dict
):
    lines = tmp_path / "questions.jsonl"
    lines.write_text('{"id": 1, "question": "q"}\n')
    result = answer_file(reduced_project, lines, subprocess_env)
    assert result.returncode == 2
    assert f"error: {lines}: the table needs columns 'question' and 'context'" in (
        result.stderr
    )
    assert "catalog" not in result.stderr


def test_help_names_the_answer_command_and_every_option(subprocess_env: dict):
    top = subprocess.run(
        [sys.executable, "-m", "extractive_qa", "--help"],
        env=subprocess_env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert top.returncode == 0, top.stderr[-2000:]
    assert "python -m extractive_qa answer --help" in top.stdout
    # Without `answer`, the project's run command and its options.
    assert "Run the pipeline." in top.stdout
    assert "--pipelines" in top.stdout
    answer = subprocess.run(
        [sys.executable, "-m", "extractive_qa", "answer", "--help"],
        env=subprocess_env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    for option in ("--questions", "--max-length", "--n-best-size", "--device"):
        assert option in answer.stdout
    assert answer.stdout.count("default:") >= 7


def test_without_answer_it_runs_the_pipeline_as_kedro_run(
    subprocess_env: dict, tmp_path: Path
):
    project = copy_project(tmp_path)
    done = project_command(
        project,
        subprocess_env,
        *("extractive_qa", "--env", "reduced", "--params=training.learning_rate=-1"),
        timeout=300,
    )

    assert done.returncode == 1
    # The project's run: the parameters checked, the failure ended short.
    assert "Run failed: SettingsError" in done.stderr
    assert "training.learning_rate = -1: Input should be greater than 0" in (
        done.stderr
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"question": "어디?", "context": "부산"}\n'.encode("cp949"),
            "is not UTF-8 text (byte 0xbe at offset 14). Convert it, e.g. from "
            "CP949: iconv -f CP949 -t UTF-8",
        ),
        (
            b'[{"question": "q", "context": "c"}]\n',
            "line 1: not a JSON object; a questions file is JSON Lines: one JSON "
            "object per line (for a JSON array: jq -c '.[]' FILE)",
        ),
        (
            b'[\n  {"question": "q", "context": "c"}\n]\n',
            "line 1: not JSON (Expecting value: line 1 column 2 (char 1)); a "
            "questions file is JSON Lines",
        ),
        # A byte-order mark is read past: the file is fine, the model is not there.
        (
            '\ufeff{"question": "어디?", "context": "부산"}\n'.encode(),
            "no saved model there",
        ),
    ],
)
def test_the_questions_file_is_named_before_the_model_loads(
    tmp_path: Path, subprocess_env: dict, content: bytes, message: str
):
    questions = tmp_path / "questions.jsonl"
    questions.write_bytes(content)

    result = answer_file(
        tmp_path, questions, subprocess_env, model=tmp_path / "no-model"
    )

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_questions_file_that_is_not_there_names_the_option(
    tmp_path: Path, subprocess_env: dict
):
    missing = tmp_path / "nofile.jsonl"
    result = answer_file(tmp_path, missing, subprocess_env, model=tmp_path / "no-model")

    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: --questions {missing}: No such file or directory"
    )
