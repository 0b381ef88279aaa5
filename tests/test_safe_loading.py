"""Weights load as safetensors only, and remote code stays off unless asked."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest
import torch
import yaml
from kedro.io.core import DatasetError

from extractive_qa.datasets import QAModelDataset
from extractive_qa.pipelines.training.nodes import prepare_model
from extractive_qa.qa_model import UnsafeWeightsError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def pickle_only_checkpoint(tmp_path, korean_tokenizer, tiny_qa_model) -> Path:
    """A save_pretrained folder whose weights are a pickled pytorch_model.bin."""
    checkpoint = tmp_path / "pickled"
    tiny_qa_model.save_pretrained(checkpoint, safe_serialization=False)
    korean_tokenizer.save_pretrained(checkpoint)
    if not (checkpoint / "pytorch_model.bin").exists():
        # Newer transformers always write safetensors; write the pickle by hand.
        for weights in checkpoint.glob("*.safetensors"):
            weights.unlink()
        torch.save(tiny_qa_model.state_dict(), checkpoint / "pytorch_model.bin")
    assert not list(checkpoint.glob("*.safetensors"))
    return checkpoint


def test_model_directory_with_only_a_pickle_is_refused(pickle_only_checkpoint):
    with pytest.raises(DatasetError) as error:
        QAModelDataset(filepath=str(pickle_only_checkpoint)).load()

    message = str(error.value)
    assert "holds no safetensors weights (found ['pytorch_model.bin'])" in message
    assert "use_safetensors=False" in message


def test_checkpoint_with_only_a_pickle_is_refused(pickle_only_checkpoint):
    examples = datasets.Dataset.from_dict({"context": ["가"], "question": ["나"]})

    with pytest.raises(UnsafeWeightsError, match="safetensors only"):
        prepare_model(
            examples,
            {
                "checkpoint": str(pickle_only_checkpoint),
                "trust_remote_code": False,
                "demo": {},
            },
        )


def test_catalog_cannot_turn_pickle_loading_back_on(tmp_path, pickle_only_checkpoint):
    dataset = QAModelDataset(
        filepath=str(pickle_only_checkpoint), load_args={"use_safetensors": False}
    )

    with pytest.raises(DatasetError, match="use_safetensors must stay true"):
        dataset.load()


def test_remote_code_is_off_by_default():
    parameters = yaml.safe_load((REPO / "conf/base/parameters_model.yml").read_text())
    assert parameters["model"]["trust_remote_code"] is False
    assert QAModelDataset(filepath="x")._describe()["load_args"] == {
        "use_safetensors": True,
        "trust_remote_code": False,
    }
