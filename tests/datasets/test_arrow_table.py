"""ArrowTableDataset stands on Kedro's own versioned dataset: what it takes
from that base (versions, refusing what is not one table) on real folders."""

from __future__ import annotations

import uuid

import datasets
import fsspec
import pytest
from kedro.io.core import DatasetError, Version

from extractive_qa.datasets import ArrowTableDataset
from extractive_qa.datasets.arrow_table import MARKERS


@pytest.mark.parametrize("file_format", ["arrow", "parquet"])
def test_versioned_saves_keep_each_version_and_load_the_newest(
    tmp_path, file_format
) -> None:
    path = str(tmp_path / "features")
    first = ArrowTableDataset(
        path=path, file_format=file_format, version=Version(None, None)
    )
    first.save(datasets.Dataset.from_dict({"x": [1, 2]}))
    second = ArrowTableDataset(
        path=path, file_format=file_format, version=Version(None, None)
    )
    second.save(datasets.Dataset.from_dict({"x": [3, 4, 5]}))

    versions = sorted(p.name for p in (tmp_path / "features").iterdir())
    assert len(versions) == 2
    newest = ArrowTableDataset(
        path=path, file_format=file_format, version=Version(None, None)
    )
    assert newest.load()["x"] == [3, 4, 5]
    pinned = ArrowTableDataset(
        path=path, file_format=file_format, version=Version(versions[0], None)
    )
    assert pinned.load()["x"] == [1, 2]


def test_a_dataset_dict_is_refused_with_the_path(tmp_path) -> None:
    dataset = ArrowTableDataset(path=str(tmp_path / "splits"))
    splits = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"x": [1]})})
    with pytest.raises(DatasetError, match=r"splits.*DatasetDict"):
        dataset.save(splits)
    assert not dataset.exists()


def test_describe_names_the_path_format_and_protocol(tmp_path) -> None:
    described = str(ArrowTableDataset(path="memory://bucket/t", file_format="parquet"))
    assert "bucket/t" in described
    assert "parquet" in described
    assert "memory" in described


def test_a_folder_without_its_marker_is_named_as_cut_short(tmp_path) -> None:
    # What a local save killed mid-write cannot leave, but a copy cut short can.
    folder = tmp_path / "features"
    folder.mkdir()
    (folder / "data-00000-of-00001.arrow").write_bytes(b"part of a table")

    with pytest.raises(DatasetError, match="holds no whole table .state.json is"):
        ArrowTableDataset(path=str(folder)).load()


def test_the_newest_version_is_the_newest_whole_one() -> None:
    # On object storage a publish copies the files one by one, marker last; a
    # kill during it leaves a newer version folder without its marker.
    path = f"memory://versions-{uuid.uuid4().hex}/features"
    whole = ArrowTableDataset(path=path, version=Version(None, None))
    whole.save(datasets.Dataset.from_dict({"x": [1, 2]}))
    memory = fsspec.filesystem("memory")
    (saved,) = memory.glob(f"{path}/*/features")
    cut_short = f"{path}/9999-12-31T23.59.59.999Z/features"
    for name in memory.ls(saved, detail=False):
        if not name.endswith(MARKERS["arrow"]):
            memory.copy(name, f"{cut_short}/{name.rsplit('/', 1)[-1]}")
    assert memory.ls(cut_short)

    newest = ArrowTableDataset(path=path, version=Version(None, None))
    assert newest.resolve_load_version() == saved.split("/")[-2]
    assert newest.load()["x"] == [1, 2]
