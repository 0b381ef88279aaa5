"""ArrowTableDataset stands on Kedro's own versioned dataset: what it takes
from that base (versions, refusing what is not one table) on real folders."""

from __future__ import annotations

import datasets
import pytest
from kedro.io.core import DatasetError, Version

from extractive_qa.datasets import ArrowTableDataset


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
