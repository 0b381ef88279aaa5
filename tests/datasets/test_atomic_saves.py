"""A save that fails half-way leaves the previous artifact whole and loadable."""

from __future__ import annotations

import os
import stat

import datasets
import pytest
import torch
from kedro.io.core import DatasetError
from transformers import PreTrainedTokenizerFast

from extractive_qa.datasets import ArrowTableDataset, QAModelDataset
from extractive_qa.qa_model import QAModel


class DiskFullError(OSError):
    pass


class CrashingTokenizer(PreTrainedTokenizerFast):
    """A real tokenizer whose save writes half a file and then fails."""

    def save_pretrained(self, save_directory, *args, **kwargs):
        with open(f"{save_directory}/tokenizer_config.json", "w") as half:
            half.write('{"cut sh')
        raise DiskFullError("No space left on device")


def test_model_directory_survives_a_crash_mid_save(
    tmp_path, korean_tokenizer, tiny_qa_model
):
    target = tmp_path / "fine_tuned_model"
    dataset = QAModelDataset(filepath=str(target))
    dataset.save(QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer))
    before = {k: v.clone() for k, v in tiny_qa_model.state_dict().items()}
    files_before = sorted(p.name for p in target.iterdir())

    broken = CrashingTokenizer(tokenizer_object=korean_tokenizer.backend_tokenizer)
    changed = tiny_qa_model
    with torch.no_grad():
        for parameter in changed.parameters():
            parameter.add_(1.0)
    with pytest.raises(DatasetError, match="No space left on device"):
        dataset.save(QAModel(model=changed, tokenizer=broken))

    assert sorted(p.name for p in target.iterdir()) == files_before
    assert [p.name for p in tmp_path.iterdir()] == ["fine_tuned_model"]
    reloaded = dataset.load()
    for name, tensor in reloaded.model.state_dict().items():
        assert torch.equal(tensor, before[name]), name
    assert reloaded.tokenizer.get_vocab() == korean_tokenizer.get_vocab()


class CrashingDataset(datasets.Dataset):
    """A real dataset whose save writes a shard and then fails."""

    def save_to_disk(self, dataset_path, **kwargs):
        with open(f"{dataset_path}/data-00000-of-00001.arrow", "wb") as half:
            half.write(b"ARROW1")
        raise DiskFullError("No space left on device")


def test_feature_set_survives_a_crash_mid_save(tmp_path):
    target = tmp_path / "validation_features"
    dataset = ArrowTableDataset(path=str(target))
    old = datasets.Dataset.from_dict({"input_ids": [[2, 5, 3], [2, 7, 3]]})
    dataset.save(old)

    new = datasets.Dataset.from_dict({"input_ids": [[2, 9, 9, 3]]})
    new.__class__ = CrashingDataset
    with pytest.raises(DatasetError, match="No space left on device"):
        dataset.save(new)

    assert dataset.load().to_dict() == old.to_dict()
    assert [p.name for p in tmp_path.iterdir()] == ["validation_features"]


def test_a_second_save_replaces_the_first(tmp_path):
    dataset = ArrowTableDataset(path=str(tmp_path / "features"))
    dataset.save(datasets.Dataset.from_dict({"a": [1, 2]}))
    loaded = dataset.load()
    # Saving over the folder a dataset was loaded from works (save_to_disk alone
    # refuses it) and leaves no staging folders behind.
    dataset.save(loaded.map(lambda row: {"a": row["a"] * 10}))

    assert dataset.load()["a"] == [10, 20]
    assert [p.name for p in tmp_path.iterdir()] == ["features"]


def test_a_save_removes_what_a_killed_save_left_beside_the_artifact(tmp_path):
    # A kill after the old artifact was moved aside, before it was removed
    # (or while the new one was written), leaves these hidden folders.
    for leftover in (".features.previous-1a2b3c4d", ".features.partial-x1y2z3"):
        (tmp_path / leftover).mkdir()
        (tmp_path / leftover / "data.arrow").write_bytes(b"an old table")
    dataset = ArrowTableDataset(path=str(tmp_path / "features"))

    dataset.save(datasets.Dataset.from_dict({"a": [1]}))

    assert [p.name for p in tmp_path.iterdir()] == ["features"]
    assert dataset.load()["a"] == [1]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_saved_folders_follow_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        dataset = ArrowTableDataset(path=str(tmp_path / "features"))
        dataset.save(datasets.Dataset.from_dict({"a": [1, 2]}))
        plain = tmp_path / "made-by-mkdir"
        plain.mkdir()
    finally:
        os.umask(previous)

    mode = stat.S_IMODE((tmp_path / "features").stat().st_mode)
    assert mode == 0o777 & ~umask == stat.S_IMODE(plain.stat().st_mode)
