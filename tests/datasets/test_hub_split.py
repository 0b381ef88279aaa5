"""HubSplitDataset: a hub split read from the local cache without the network,
a local JSON file in its place, clear messages when neither is there, and the
hub check that knows which splits a runtime parameter already replaced."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import datasets
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import DatasetError
from kedro.pipeline import Pipeline, node

from extractive_qa.datasets import HubSplitDataset
from extractive_qa.datasets.hub_split import HubDataUnavailableError
from extractive_qa.hooks.hub import HubAccessCheck, HubUnreachableError
from extractive_qa.settings import CONFIG_LOADER_ARGS

CONF = Path(__file__).resolve().parents[2] / "conf"
CONTEXT = "김민수는 1932년에 부산에서 태어났다."
EXAMPLES = {
    split: [
        {
            "id": f"{split}-{n}",
            "title": "김민수",
            "context": CONTEXT,
            "question": "김민수는 어디에서 태어났는가?",
            "answers": {"text": ["부산"], "answer_start": [CONTEXT.index("부산")]},
        }
        for n in range(2)
    ]
    for split in ("train", "validation")
}


@pytest.fixture
def filled_cache(tmp_path: Path, fill_squad_kor_v1_cache) -> Path:
    cache = tmp_path / "datasets_cache"
    fill_squad_kor_v1_cache(cache, EXAMPLES)
    return cache


@pytest.fixture
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection or name lookup tried while the test runs (each refused)."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_HUB_OFFLINE=1 as the datasets library read it at import."""
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)


def test_loads_a_split_from_the_local_cache_offline(
    filled_cache: Path, offline: None, network_attempts: list
) -> None:
    dataset = HubSplitDataset(
        dataset_name="squad_kor_v1",
        split="validation",
        load_args={"cache_dir": str(filled_cache)},
    )

    examples = dataset.load()

    assert isinstance(examples, datasets.Dataset)
    assert examples["id"] == ["validation-0", "validation-1"]
    assert examples[0]["answers"] == {
        "text": ["부산"],
        "answer_start": [CONTEXT.index("부산")],
    }
    assert dataset.exists()
    assert network_attempts == []


def test_describing_never_asks_the_hub(network_attempts: list) -> None:
    # Offline or not, only the arguments are described: nothing is looked up.
    dataset = HubSplitDataset(dataset_name="squad_kor_v1", split="train")

    described = dataset._describe()
    text = str(dataset)

    assert described["dataset_name"] == "squad_kor_v1"
    assert described["split"] == "train"
    assert described["filepath"] is None
    assert "squad_kor_v1" in text
    assert network_attempts == []


def test_nothing_cached_names_the_dataset_and_the_ways_out(
    tmp_path: Path, offline: None, network_attempts: list
) -> None:
    dataset = HubSplitDataset(
        dataset_name="squad_kor_v1",
        split="train",
        load_args={"cache_dir": str(tmp_path / "empty")},
    )

    assert not dataset.exists()
    with pytest.raises(HubDataUnavailableError) as error:
        dataset.load()

    message = str(error.value)
    assert "squad_kor_v1 (split train) is not in the Hugging Face datasets cache" in (
        message
    )
    assert str(tmp_path / "empty") in message
    assert "datasets.load_dataset('squad_kor_v1')" in message
    assert "HF_HUB_OFFLINE=1" in message
    assert "--params=train_file=" in message
    assert network_attempts == []


def test_a_local_file_replaces_the_hub_split(
    tmp_path: Path, network_attempts: list
) -> None:
    document = {
        "version": "KorQuAD_v1.0_dev",
        "data": [
            {
                "title": "김민수",
                "paragraphs": [
                    {
                        "context": CONTEXT,
                        "qas": [
                            {
                                "id": "q1",
                                "question": "김민수는 어디에서 태어났는가?",
                                "answers": [
                                    {
                                        "text": "부산",
                                        "answer_start": CONTEXT.index("부산"),
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "KorQuAD_v1.0_dev.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    dataset = HubSplitDataset(
        dataset_name="squad_kor_v1", split="validation", filepath=str(path)
    )

    assert dataset.exists()
    assert dataset.load() == document
    assert dataset._describe()["filepath"] == str(path)
    assert network_attempts == []


def test_a_missing_local_file_says_which_parameter_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "KorQuAD_v1.0_train.json"
    dataset = HubSplitDataset(dataset_name="squad_kor_v1", split="train", filepath=path)

    assert not dataset.exists()
    with pytest.raises(DatasetError, match="--params=train_file="):
        dataset.load()


def test_a_malformed_local_file_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "cut_short.json"
    path.write_text('{"data": [', encoding="utf-8")
    dataset = HubSplitDataset(
        dataset_name="squad_kor_v1", split="train", filepath=str(path)
    )

    with pytest.raises(DatasetError, match="cut_short.json: not valid JSON"):
        dataset.load()


def test_save_is_refused() -> None:
    dataset = HubSplitDataset(dataset_name="squad_kor_v1", split="train")

    with pytest.raises(DatasetError, match="read-only"):
        dataset.save({"data": []})


def project_catalog(env: str, runtime_params: dict | None) -> DataCatalog:
    """The raw sources of the repository's catalog for ``env``, as ``kedro run
    --params`` resolves them."""
    loader = OmegaConfigLoader(
        str(CONF),
        **{**CONFIG_LOADER_ARGS, "default_run_env": env},
        runtime_params=runtime_params,
    )
    raw = {name: loader["catalog"][name] for name in ("raw_train", "raw_validation")}
    return DataCatalog.from_config(raw)


@pytest.mark.parametrize("env", ["korquad"])
def test_runtime_parameters_give_the_catalog_its_local_files(
    env: str, tmp_path: Path
) -> None:
    train = str(tmp_path / "KorQuAD_v1.0_train.json")

    given = project_catalog(env, {"train_file": train})
    default = project_catalog(env, None)

    assert given["raw_train"].filepath == train
    assert given["raw_validation"].filepath is None
    # The resolver's null default is None, not the text "null".
    assert default["raw_train"].filepath is None
    assert default["raw_train"].dataset_name == "squad_kor_v1"


def examples_of(raw_train, raw_validation, model):
    return raw_train


def test_the_hub_check_asks_only_for_what_no_parameter_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    runtime_params = {"train_file": str(tmp_path / "KorQuAD_v1.0_train.json")}
    catalog = project_catalog("korquad", runtime_params)
    catalog["params:model"] = MemoryDataset(
        {"checkpoint": "monologg/koelectra-base-v3-discriminator"}
    )
    pipeline = Pipeline(
        [
            node(
                examples_of,
                ["raw_train", "raw_validation", "params:model"],
                "train_examples",
            )
        ]
    )

    with pytest.raises(HubUnreachableError) as error:
        HubAccessCheck().before_pipeline_run(
            {"env": "korquad", "runtime_params": runtime_params}, pipeline, catalog
        )

    message = str(error.value)
    assert "raw_validation (Hugging Face dataset 'squad_kor_v1'" in message
    assert "raw_train" not in message
    assert "HF_HUB_OFFLINE=1 kedro run --env korquad\n" in message
    assert (
        "kedro run --env korquad --params=validation_file=/path/to/validation.json,"
        "model.checkpoint=/path/to/koelectra-base-v3-discriminator\n"
    ) in message
    assert "with the other --params of this run" in message
