"""The hub check lists what a run would fetch and fails fast when it cannot."""

from __future__ import annotations

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node
from kedro_datasets.huggingface import HFDataset
from kedro_datasets.json import JSONDataset

from extractive_qa.hooks.hub import HubAccessCheck, HubUnreachableError, hub_needs

CLOSED_PORT = "http://127.0.0.1:9"


def first_of(examples, model):
    return examples


def checkpoint_of(model):
    return model["checkpoint"]


def run_pipeline() -> Pipeline:
    return Pipeline(
        [node(first_of, inputs=["raw_train", "params:model"], outputs="examples")]
    )


def hub_catalog() -> DataCatalog:
    return DataCatalog(
        {
            "raw_train": HFDataset(dataset_name="squad_kor_v1"),
            "params:model": MemoryDataset({"checkpoint": "some-org/some-model"}),
        }
    )


def local_catalog(tmp_path) -> DataCatalog:
    checkpoint = tmp_path / "model"
    checkpoint.mkdir()
    return DataCatalog(
        {
            "raw_train": JSONDataset(filepath=str(tmp_path / "train.json")),
            "params:model": MemoryDataset({"checkpoint": str(checkpoint)}),
        }
    )


@pytest.fixture
def closed_hub(monkeypatch):
    """Online mode, with the hub endpoint on a port nothing listens on."""
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_PORT)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def test_hf_dataset_and_hub_checkpoint_are_needs():
    needs = hub_needs(run_pipeline(), hub_catalog())

    assert needs == [
        "raw_train (huggingface.HFDataset 'squad_kor_v1')",
        "params model.checkpoint ('some-org/some-model')",
    ]


def test_local_sources_need_nothing(tmp_path):
    assert hub_needs(run_pipeline(), local_catalog(tmp_path)) == []


def test_demo_default_checkpoint_needs_nothing(tmp_path):
    catalog = local_catalog(tmp_path)
    catalog["params:model"] = MemoryDataset({"checkpoint": None})

    assert hub_needs(run_pipeline(), catalog) == []


def test_datasets_the_pipeline_does_not_read_are_not_needs():
    pipeline = Pipeline([node(checkpoint_of, "params:model", "checkpoint")])

    assert hub_needs(pipeline, hub_catalog()) == [
        "params model.checkpoint ('some-org/some-model')"
    ]


def test_unreachable_hub_stops_the_run_with_what_to_do(closed_hub):
    with pytest.raises(HubUnreachableError) as error:
        HubAccessCheck().before_pipeline_run({}, run_pipeline(), hub_catalog())

    message = str(error.value)
    assert "127.0.0.1:9" in message
    assert "squad_kor_v1" in message
    assert "some-org/some-model" in message
    assert "conf/local" in message
    assert "HF_HUB_OFFLINE" in message


def test_no_error_when_nothing_needs_the_hub(closed_hub, tmp_path):
    assert (
        HubAccessCheck().before_pipeline_run(
            {}, run_pipeline(), local_catalog(tmp_path)
        )
        is None
    )


def test_offline_mode_skips_the_check(closed_hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    assert (
        HubAccessCheck().before_pipeline_run({}, run_pipeline(), hub_catalog()) is None
    )
