"""``kedro run --env korquad`` without the hub: from a filled Hugging Face cache
with ``HF_HUB_OFFLINE=1``, and from local files given as runtime parameters.

The cache is built in a temporary folder the way the libraries lay it out: the
``datasets`` library writes a small ``squad_kor_v1`` (synthetic KorQuAD-layout
questions) into its cache, and a tiny model from the project's builders is
stored as a snapshot of ``monologg/koelectra-base-v3-discriminator`` in the hub
cache. The korquad environment then runs in a subprocess, reduced on the
command line only (one epoch, short windows), as a user would type it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import datasets
import pytest
from transformers import AutoTokenizer

from extractive_qa.demo.synthetic import generate_korquad, inventory_characters
from extractive_qa.demo.tiny_model import build_tiny_electra, train_wordpiece_tokenizer
from extractive_qa.records.shapes import to_examples

pytestmark = pytest.mark.slow

MODEL_ID = "monologg/koelectra-base-v3-discriminator"
# Hub caches name snapshots by commit; any 40-hex string stands in for one.
COMMIT = "0123456789abcdef0123456789abcdef01234567"
QUESTIONS = {"train": 30, "validation": 10}
CLOSED_HUB = "http://127.0.0.1:9"
# The korquad environment as typed, made small enough for a test: the tiny model
# has 128 positions, so windows must fit in them.
REDUCED = ",".join(
    [
        "training.num_train_epochs=1",
        "training.batch_size=8",
        "training.logging_steps=2",
        "training.eval_batch_size=32",
        "inference.batch_size=32",
        "tokenization.max_length=128",
        "tokenization.doc_stride=32",
        "tokenization.max_query_length=32",
    ]
)


@dataclass(frozen=True)
class KorQuADSources:
    """The same tiny KorQuAD and model, in a Hugging Face cache and as files."""

    hf_home: Path
    split_files: dict[str, Path]
    checkpoint: Path


def _store_in_hub_cache(checkpoint: Path, hub_cache: Path) -> None:
    """``checkpoint`` as the main snapshot of MODEL_ID in the hub cache layout."""
    repo = hub_cache / f"models--{MODEL_ID.replace('/', '--')}"
    shutil.copytree(checkpoint, repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)


def _tiny_checkpoint(train: datasets.Dataset, folder: Path) -> Path:
    """A WordPiece tokenizer trained on ``train`` and a tiny random ELECTRA,
    written to ``folder`` by ``save_pretrained``."""
    tokenizer = train_wordpiece_tokenizer(
        list(train["context"]) + list(train["question"]),
        vocab_size=400,
        alphabet=inventory_characters(),
        model_max_length=128,
    )
    model = build_tiny_electra(
        tokenizer,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        seed=0,
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def korquad_sources(
    tmp_path_factory: pytest.TempPathFactory, fill_squad_kor_v1_cache
) -> KorQuADSources:
    root = tmp_path_factory.mktemp("korquad_sources")
    hf_home = root / "hf_home"
    documents = {
        split: generate_korquad(split=split, n_questions=n, seed=13, long_fraction=0)
        for split, n in QUESTIONS.items()
    }
    split_files = {split: root / f"korquad_{split}.json" for split in documents}
    for split, document in documents.items():
        split_files[split].write_text(
            json.dumps(document, ensure_ascii=False), encoding="utf-8"
        )
    examples = {
        split: to_examples(document, split) for split, document in documents.items()
    }
    fill_squad_kor_v1_cache(hf_home / "datasets", examples)
    checkpoint = _tiny_checkpoint(
        examples["train"], root / "koelectra-base-v3-discriminator"
    )
    _store_in_hub_cache(checkpoint, hf_home / "hub")

    # The hub id resolves from the cache alone, and the reloaded tokenizer keeps
    # Hangul syllables whole: no lowercasing or accent stripping (which splits
    # syllables into jamo), no unknown tokens.
    reloaded = AutoTokenizer.from_pretrained(
        MODEL_ID, cache_dir=hf_home / "hub", local_files_only=True
    )
    question = examples["train"][0]["question"]
    tokens = reloaded.tokenize(question)
    assert reloaded.unk_token not in tokens
    assert "".join(tokens).replace("##", "") == question.replace(" ", "")
    return KorQuADSources(hf_home, split_files, checkpoint)


def hugging_face_env(hf_home: Path, *, offline: bool) -> dict[str, str]:
    """No telemetry, every Hugging Face cache under ``hf_home``; offline, or
    online with a hub that never answers (nothing listens on port 9)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE")
        and not key.endswith("_OFFLINE")
    }
    env.update(
        HF_HOME=str(hf_home),
        HF_HUB_CACHE=str(hf_home / "hub"),
        HF_DATASETS_CACHE=str(hf_home / "datasets"),
        KEDRO_DISABLE_TELEMETRY="true",
    )
    if offline:
        env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    else:
        env.update(HF_ENDPOINT=CLOSED_HUB)
    return env


def kedro_run_korquad(project: Path, env: dict[str, str], params: str) -> None:
    """``kedro run --env korquad --params=...`` in ``project``; fails the test
    with the end of the run's output when the run fails."""
    run = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--env", "korquad", "--params", params],
        cwd=project,
        env=env,
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]


def assert_scored(project: Path, validation: Path) -> None:
    """Every validation question of ``validation`` got a prediction, and the
    scores are percentages."""
    reporting = project / "data" / "08_reporting"
    metrics = json.loads((reporting / "metrics.json").read_text())
    predictions = json.loads(
        (
            project / "data" / "07_model_output" / "validation_predictions.json"
        ).read_text()
    )
    document = json.loads(validation.read_text(encoding="utf-8"))
    ids = {
        qa["id"]
        for article in document["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }
    assert set(predictions) == ids
    assert metrics["n_examples"] == len(ids)
    for name in ("squad", "korquad"):
        assert 0.0 <= metrics[name]["exact_match"] <= metrics[name]["f1"] <= 100.0


def test_korquad_env_runs_from_the_hugging_face_cache_offline(
    korquad_sources: KorQuADSources, project_factory, tmp_path: Path
) -> None:
    project = project_factory(tmp_path / "project", {}, {})

    kedro_run_korquad(
        project, hugging_face_env(korquad_sources.hf_home, offline=True), REDUCED
    )

    assert_scored(project, korquad_sources.split_files["validation"])


def test_korquad_env_runs_from_local_files_given_as_runtime_parameters(
    korquad_sources: KorQuADSources, project_factory, tmp_path: Path
) -> None:
    project = project_factory(tmp_path / "project", {}, {})
    local_files = ",".join(
        [
            f"train_file={korquad_sources.split_files['train']}",
            f"validation_file={korquad_sources.split_files['validation']}",
            f"model.checkpoint={korquad_sources.checkpoint}",
        ]
    )
    # Online, with an empty cache and a hub that never answers: the hub check
    # must see that nothing is needed, and everything comes from the files.
    env = hugging_face_env(tmp_path / "empty_hf_home", offline=False)

    kedro_run_korquad(project, env, f"{local_files},{REDUCED}")

    assert_scored(project, korquad_sources.split_files["validation"])
