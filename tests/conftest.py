"""Real, tiny Korean tokenizer and QA model shared by the test suite.

Both come from the project's own builders (the embedded default), trained on a
few sentences so every test runs in milliseconds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import datasets
import pytest
import yaml
from datasets.builder import Key
from transformers import ElectraForQuestionAnswering, PreTrainedTokenizerFast

from extractive_qa.demo.tiny_model import build_tiny_electra, train_wordpiece_tokenizer
from extractive_qa.records.shapes import EXAMPLE_FEATURES

REPO = Path(__file__).resolve().parents[1]

# Nothing in the suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")

KOREAN_CORPUS = [
    "김민수는 1932년에 부산에서 태어났다.",
    "그는 1950년에 서울로 이사하여 대학에서 20년 동안 일했다.",
    "김민수는 어디에서 태어났는가?",
    "이영희는 광주에서 소설 세 권을 썼다.",
    "서울은 대한민국의 수도이다.",
]


def build_korean_tokenizer() -> PreTrainedTokenizerFast:
    """The demo WordPiece tokenizer trained on KOREAN_CORPUS."""
    alphabet = "".join(sorted(set("".join(KOREAN_CORPUS)) - {" "}))
    return train_wordpiece_tokenizer(
        KOREAN_CORPUS, vocab_size=200, alphabet=alphabet, model_max_length=64
    )


def build_tiny_qa_model(
    tokenizer: PreTrainedTokenizerFast,
) -> ElectraForQuestionAnswering:
    """A randomly initialised ELECTRA QA model small enough for a unit test."""
    return build_tiny_electra(
        tokenizer,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        seed=0,
    )


@pytest.fixture
def korean_tokenizer() -> PreTrainedTokenizerFast:
    return build_korean_tokenizer()


@pytest.fixture
def tiny_qa_model(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> ElectraForQuestionAnswering:
    return build_tiny_qa_model(korean_tokenizer)


def copy_project(root: Path, catalog: dict, parameters: dict) -> Path:
    """A project folder at ``root``: the repository's conf plus a ``reduced``
    environment holding ``catalog`` and ``parameters`` overrides."""
    # A developer's own (git-ignored) credentials stay out; the placeholder
    # the catalog refers to comes along.
    shutil.copytree(
        REPO / "conf",
        root / "conf",
        ignore=shutil.ignore_patterns("local", "*credentials*"),
    )
    shutil.copy(REPO / "conf/base/credentials.yml", root / "conf/base")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "conf" / "local").mkdir(exist_ok=True)
    # Kedro wants a source folder; the package itself is the installed one.
    (root / "src").mkdir()
    reduced = root / "conf" / "reduced"
    reduced.mkdir()
    (reduced / "catalog.yml").write_text(yaml.safe_dump(catalog))
    (reduced / "parameters.yml").write_text(yaml.safe_dump(parameters))
    return root


@pytest.fixture(scope="session")
def project_factory():
    """``copy_project``, for tests that run Kedro in a temporary project."""
    return copy_project


class SquadKorV1(datasets.GeneratorBasedBuilder):
    """Given examples written into a datasets cache as ``squad_kor_v1``, the way
    the library writes a downloaded dataset, so that ``load_dataset(
    "squad_kor_v1")`` finds them in offline mode."""

    BUILDER_CONFIGS = [
        datasets.BuilderConfig(name="squad_kor_v1", version=datasets.Version("1.0.0"))
    ]

    def __init__(self, *, splits: dict[str, Any], **kwargs: Any) -> None:
        self._splits = splits
        super().__init__(dataset_name="squad_kor_v1", **kwargs)

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(features=EXAMPLE_FEATURES)

    def _split_generators(self, dl_manager: Any) -> list[datasets.SplitGenerator]:
        return [
            datasets.SplitGenerator(name=split, gen_kwargs={"rows": rows})
            for split, rows in self._splits.items()
        ]

    def _generate_examples(self, rows: Any):
        for index, row in enumerate(rows):
            yield Key(0, index), row


@pytest.fixture(scope="session")
def fill_squad_kor_v1_cache():
    """``fill(cache_dir, splits)``: split name -> examples (rows or a Dataset),
    written into the datasets cache at ``cache_dir`` as ``squad_kor_v1``."""

    def fill(cache_dir: Path, splits: dict[str, Any]) -> None:
        # Caches name a dataset's version by commit; any 40-hex string will do.
        SquadKorV1(
            splits=splits, cache_dir=str(cache_dir), hash="0" * 40
        ).download_and_prepare()

    return fill
