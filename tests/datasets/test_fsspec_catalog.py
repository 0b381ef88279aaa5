"""The project's own catalog, its storage root moved to another fsspec
filesystem (memory://, and a file:// URL), saves and loads what the pipeline
produces; tests/integration/test_three_machines.py does the same on S3."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import datasets
import fsspec
import pandas as pd
import pytest
import torch
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog

from extractive_qa.qa_model import QAModel

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A memory:// directory of this test alone; the memory filesystem is global."""
    root = f"/fsspec-catalog-{uuid.uuid4().hex}"
    yield f"memory://{root}"
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def catalog_under(root: str) -> DataCatalog:
    """conf/base's catalog as ``kedro run --params=storage=<root>`` resolves it."""
    loader = OmegaConfigLoader(
        str(REPO / "conf"),
        base_env="base",
        default_run_env="base",
        runtime_params={"storage": root},
    )
    return DataCatalog.from_config(loader["catalog"], loader["credentials"])


def examples() -> datasets.Dataset:
    from extractive_qa.records.shapes import EXAMPLE_FEATURES

    return datasets.Dataset.from_list(
        [
            {
                "id": "q1",
                "title": "",
                "context": "서울은 대한민국의 수도이다.",
                "question": "대한민국의 수도는 어디인가?",
                "answers": {"text": ["서울"], "answer_start": [0]},
            }
        ],
        features=EXAMPLE_FEATURES,
    )


@pytest.mark.parametrize("protocol", ["memory", "file"])
def test_project_catalog_round_trips_on_another_filesystem(
    protocol, memory_root, tmp_path, korean_tokenizer, tiny_qa_model
):
    root = memory_root if protocol == "memory" else f"file://{tmp_path}"
    catalog = catalog_under(root)
    qa_model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)
    answers = pd.DataFrame(
        {"id": ["q1"], "answer": ["서울"], "answer_start": [0], "answer_end": [2]}
    )

    catalog.save("validation_examples", examples())
    catalog.save("tokenizer", korean_tokenizer)
    catalog.save("fine_tuned_model", qa_model)
    catalog.save("validation_predictions", {"q1": "서울"})
    catalog.save("answers", answers)

    assert catalog.load("validation_examples").to_list() == examples().to_list()
    assert catalog.load("tokenizer").tokenize("서울은") == korean_tokenizer.tokenize(
        "서울은"
    )
    loaded = catalog.load("fine_tuned_model")
    for name, weights in tiny_qa_model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], weights), name
    assert catalog.load("validation_predictions") == {"q1": "서울"}
    pd.testing.assert_frame_equal(catalog.load("answers"), answers)

    fs, path = fsspec.core.url_to_fs(root)
    assert fs.exists(f"{path}/06_models/fine_tuned_model/model.safetensors")
    assert fs.exists(f"{path}/07_model_output/answers.jsonl")


def test_synthetic_raw_data_is_generated_on_memory(memory_root):
    loader = OmegaConfigLoader(
        str(REPO / "conf"), base_env="base", default_run_env="base"
    )
    config = loader["catalog"]["raw_validation"]
    config["filepath"] = f"{memory_root}/01_raw/validation.json"
    config["n_questions"] = 5
    catalog = DataCatalog.from_config({"raw_validation": config})
    document = catalog.load("raw_validation")
    assert sum(len(a["paragraphs"][0]["qas"]) for a in document["data"]) >= 5
    assert fsspec.filesystem("memory").exists(
        f"{fsspec.core.strip_protocol(memory_root)}/01_raw/validation.json"
    )
