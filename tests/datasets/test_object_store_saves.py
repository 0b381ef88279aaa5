"""Saves on a filesystem without rename (fsspec's memory filesystem stands in for
S3 here; tests/integration/test_three_machines.py runs against an S3 server):
a reader sees the previous save, none, or the whole new one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import datasets
import fsspec
import pytest
import torch
from fsspec.implementations.memory import MemoryFileSystem
from kedro.io.core import DatasetError

from extractive_qa.datasets import ArrowTableDataset, QAModelDataset
from extractive_qa.datasets.atomic import publish_directory
from extractive_qa.qa_model import QAModel


class ConnectionLost(OSError):
    pass


class FlakyMemoryFileSystem(MemoryFileSystem):
    """The memory filesystem, whose uploads or server-side copies fail after
    ``budget`` files, as a dropped connection would."""

    protocol = "flakymemory"
    budget: int | None = None
    failing = "put_file"

    @classmethod
    def _strip_protocol(cls, path):
        if isinstance(path, str) and path.startswith("flakymemory://"):
            path = "memory://" + path.removeprefix("flakymemory://")
        return super()._strip_protocol(path)

    def _spend(self, operation: str) -> None:
        if self.budget is None or operation != self.failing:
            return
        if self.budget == 0:
            raise ConnectionLost("connection reset by peer")
        type(self).budget = self.budget - 1

    def put_file(self, lpath, rpath, **kwargs):
        self._spend("put_file")
        return super().put_file(lpath, rpath, **kwargs)

    def cp_file(self, path1, path2, **kwargs):
        self._spend("cp_file")
        return super().cp_file(path1, path2, **kwargs)


fsspec.register_implementation("flakymemory", FlakyMemoryFileSystem, clobber=True)


@pytest.fixture
def root() -> Iterator[str]:
    """A folder of this test alone on the (global) memory filesystem."""
    folder = f"/object-store-{uuid.uuid4().hex}"
    yield folder
    FlakyMemoryFileSystem.budget = None
    fs = fsspec.filesystem("memory")
    if fs.exists(folder):
        fs.rm(folder, recursive=True)


def fail_after(files: int, operation: str) -> None:
    FlakyMemoryFileSystem.budget = files
    FlakyMemoryFileSystem.failing = operation


def test_publish_puts_the_marker_last_and_leaves_no_staging(root, tmp_path) -> None:
    for name in ("b.bin", "marker.json", "a.bin"):
        (tmp_path / name).write_text(name)
    fs = fsspec.filesystem("memory")
    copied = []
    original = fs.cp_file

    class Recording(MemoryFileSystem):
        def cp_file(self, path1, path2, **kwargs):
            copied.append(path2.rsplit("/", 1)[-1])
            return original(path1, path2, **kwargs)

    publish_directory(Recording(), str(tmp_path), f"{root}/table", "marker.json")
    assert copied[-1] == "marker.json" and sorted(copied) == sorted(
        ["a.bin", "b.bin", "marker.json"]
    )
    assert sorted(fs.ls(root, detail=False)) == [f"{root}/table"]


@pytest.mark.parametrize("file_format", ["arrow", "parquet"])
def test_table_upload_cut_short_keeps_the_previous_save(root, file_format) -> None:
    dataset = ArrowTableDataset(path=f"flakymemory://{root}/t", file_format=file_format)
    old = datasets.Dataset.from_dict({"input_ids": [[2, 5, 3], [2, 7, 3]]})
    dataset.save(old)

    fail_after(0, "put_file")
    with pytest.raises(DatasetError, match="connection reset"):
        dataset.save(datasets.Dataset.from_dict({"input_ids": [[9]]}))
    FlakyMemoryFileSystem.budget = None
    assert dataset.load().to_dict() == old.to_dict()
    # The cut-short upload was cleaned up on the spot.
    assert fsspec.filesystem("memory").ls(root, detail=False) == [f"{root}/t"]


def test_table_publish_cut_short_reads_as_absent_then_recovers(root) -> None:
    dataset = ArrowTableDataset(path=f"flakymemory://{root}/t")
    dataset.save(datasets.Dataset.from_dict({"a": [1, 2]}))

    fail_after(1, "cp_file")  # one file published, then the connection drops
    with pytest.raises(DatasetError, match="connection reset"):
        dataset.save(datasets.Dataset.from_dict({"a": [3]}))
    FlakyMemoryFileSystem.budget = None
    assert not dataset.exists()

    new = datasets.Dataset.from_dict({"a": [4, 5, 6]})
    dataset.save(new)
    assert dataset.load().to_dict() == new.to_dict()
    fs = fsspec.filesystem("memory")
    assert fs.ls(root, detail=False) == [f"{root}/t"]


def test_model_publish_cut_short_reads_as_absent_then_recovers(
    root, korean_tokenizer, tiny_qa_model
) -> None:
    dataset = QAModelDataset(filepath=f"flakymemory://{root}/model")
    qa_model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)
    dataset.save(qa_model)

    fail_after(2, "cp_file")
    with pytest.raises(DatasetError, match="connection reset"):
        dataset.save(qa_model)
    FlakyMemoryFileSystem.budget = None
    assert not dataset.exists()
    with pytest.raises(DatasetError, match="No QA model directory"):
        dataset.load()

    # The folder holds a part of the model and no marker; the staging prefix
    # left beside it shows it is the project's own, so the next save goes on.
    dataset.save(qa_model)
    reloaded = dataset.load()
    for name, weights in tiny_qa_model.state_dict().items():
        assert torch.equal(reloaded.model.state_dict()[name], weights), name


def test_parquet_keeps_the_fingerprint_and_features(root) -> None:
    table = datasets.Dataset.from_dict(
        {"id": ["q2", "q1", "q3"], "input_ids": [[2, 5], [2, 7, 3], [2]]}
    )
    table.info.description = json.dumps({"extractive_qa.fingerprint": {"x": 1}})
    subset = table.select([2, 0])  # a pending selection is written as selected
    dataset = ArrowTableDataset(path=f"memory://{root}/p", file_format="parquet")
    dataset.save(subset)
    loaded = dataset.load()
    assert loaded.to_dict() == subset.to_dict()
    assert loaded.features == table.features
    assert loaded.info.description == table.info.description


def test_unknown_file_format_names_the_choices() -> None:
    with pytest.raises(DatasetError, match=r"'feather' is not one of \['arrow'"):
        ArrowTableDataset(path="data/x", file_format="feather")


def test_a_table_saved_in_the_other_format_names_the_setting(root) -> None:
    table = datasets.Dataset.from_dict({"a": [1]})
    ArrowTableDataset(path=f"memory://{root}/t", file_format="parquet").save(table)
    with pytest.raises(DatasetError, match=r"saved as parquet.*table_format=parquet"):
        ArrowTableDataset(path=f"memory://{root}/t").load()
