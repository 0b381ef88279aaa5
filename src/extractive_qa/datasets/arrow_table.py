"""A Hugging Face ``Dataset`` persisted as Arrow or Parquet, with a table preview
for kedro-viz and atomic saves.

kedro-datasets' ``huggingface.ArrowDataset`` has no ``preview``, on object
storage it hands ``load_from_disk`` a path without its protocol, and importing it
imports every dataset of its package, transformers' pipelines included: seconds
at the start of every kedro command. This one stands on Kedro's own versioned
dataset and takes the same arguments. Examples, windows and logits are Arrow
tables; seeing their first rows in kedro-viz is the quickest way to check what a
stage wrote.

Two layouts, chosen with ``file_format``:

- ``arrow``: ``save_to_disk``'s folder, memory-mapped when read from local disk;
- ``parquet``: one ``data.parquet`` in the folder, which object storage, Spark
  and DuckDB users read directly. The dataset's description (where the
  fingerprints of windows and logits live) and its features travel in the
  Parquet schema's metadata.

Either way a save is atomic: local folders are written beside their place and
renamed into it; on object storage they are uploaded under a staging prefix and
then published.

Example catalog entry::

    validation_features:
      type: extractive_qa.datasets.ArrowTableDataset
      path: data/04_feature/validation_features
      file_format: parquet
      metadata:
        kedro-viz:
          layer: feature
          preview_args: {nrows: 5}
"""

from __future__ import annotations

import os
from copy import deepcopy
from functools import partial
from pathlib import PurePosixPath
from typing import Any

import datasets
import fsspec
import pyarrow.parquet as pq
from datasets.table import InMemoryTable
from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    get_filepath_str,
)
from kedro_datasets._typing import TablePreview

from extractive_qa.datasets.atomic import save_directory
from extractive_qa.datasets.paths import protocol_and_path
from extractive_qa.qa.tables import arrow_columns

# The file each layout writes last, whose presence means the save is whole:
# save_to_disk writes state.json (the list of data files) after the data.
MARKERS = {"arrow": "state.json", "parquet": "data.parquet"}
_DESCRIPTION_KEY = b"extractive_qa.description"


def _cell(value: Any, max_chars: int) -> Any:
    """Numbers and short strings as they are; anything else (token lists,
    offsets, nested answers) as text cut to ``max_chars``."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def write_parquet(table: datasets.Dataset, directory: str) -> None:
    """``table`` as ``directory/data.parquet``, description and features kept."""
    columns = arrow_columns(table, table.column_names)
    metadata = {
        **(table.features.arrow_schema.metadata or {}),
        _DESCRIPTION_KEY: (table.info.description or "").encode(),
    }
    pq.write_table(
        columns.replace_schema_metadata(metadata),
        os.path.join(directory, MARKERS["parquet"]),
    )


def read_parquet(source: Any) -> datasets.Dataset:
    """What ``write_parquet`` wrote, from a path or an open binary file."""
    columns = pq.read_table(source)
    metadata = columns.schema.metadata or {}
    info = datasets.DatasetInfo(
        description=metadata.get(_DESCRIPTION_KEY, b"").decode(),
        features=datasets.Features.from_arrow_schema(columns.schema),
    )
    return datasets.Dataset(InMemoryTable(columns), info=info)


class ArrowTableDataset(AbstractVersionedDataset[datasets.Dataset, datasets.Dataset]):
    """A Hugging Face ``Dataset`` as an Arrow or Parquet folder, previewable."""

    def __init__(
        self,
        *,
        path: str | os.PathLike,
        file_format: str = "arrow",
        version: Version | None = None,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Point the dataset at a folder, local or on any fsspec filesystem.

        Args:
            path: The folder, e.g. ``data/04_feature/train_features`` or
                ``s3://bucket/04_feature/train_features``.
            file_format: ``arrow`` (``save_to_disk``'s layout) or ``parquet``.
            version: Kedro's versioning; off unless the catalog entry asks.
            load_args: Keyword arguments for ``datasets.load_from_disk``.
            save_args: Keyword arguments for ``Dataset.save_to_disk``.
            credentials: Credentials for the fsspec filesystem.
            fs_args: Extra arguments for the fsspec filesystem constructor.
            metadata: Anything; ignored by Kedro, read by kedro-viz.
        """
        if file_format not in MARKERS:
            raise DatasetError(
                f"{path}: file_format '{file_format}' is not one of "
                f"{sorted(MARKERS)}; set it in the catalog entry (or "
                "--params=table_format=arrow|parquet for the project's entries)."
            )
        self._file_format = file_format
        options = {**deepcopy(credentials or {}), **deepcopy(fs_args or {})}
        protocol, resolved = protocol_and_path(path, version)
        self._protocol = protocol
        self._fs = fsspec.filesystem(
            protocol,
            **({"auto_mkdir": True} | options if protocol == "file" else options),
        )
        # What datasets' own readers and writers get for the same filesystem.
        self._storage_options = options or None
        self._load_args = deepcopy(load_args or {})
        self._save_args = deepcopy(save_args or {})
        self.metadata = metadata
        super().__init__(
            filepath=PurePosixPath(resolved),
            version=version,
            # Whole saves only: the newest version is the newest one with its
            # marker, not a newer publish cut short on object storage.
            exists_function=self._is_whole,
            glob_function=self._fs.glob,
        )

    def load(self) -> datasets.Dataset:
        return self._load_dataset(
            get_filepath_str(self._get_load_path(), self._protocol)
        )

    def save(self, data: datasets.Dataset) -> None:
        if not isinstance(data, datasets.Dataset):
            raise DatasetError(
                f"{self._filepath}: an ArrowTableDataset saves a datasets.Dataset, "
                f"and the node returned a {type(data).__name__}. Return one table "
                "per catalog entry (a DatasetDict's splits as separate entries)."
            )
        self._save_dataset(
            data, get_filepath_str(self._get_save_path(), self._protocol)
        )
        self._invalidate_cache()

    def _release(self) -> None:
        super()._release()
        self._invalidate_cache()

    def _invalidate_cache(self) -> None:
        self._fs.invalidate_cache(get_filepath_str(self._filepath, self._protocol))

    def _load_dataset(self, load_path: str) -> datasets.Dataset:
        self._check_saved_format(load_path)
        if self._file_format == "parquet":
            with self._fs.open(f"{load_path}/{MARKERS['parquet']}", "rb") as file:
                return read_parquet(file)
        if self._protocol != "file":
            # The path Kedro hands over has lost its protocol; datasets would
            # read "bucket/prefix" as a local folder.
            load_path = f"{self._protocol}://{load_path}"
        return datasets.load_from_disk(
            load_path, storage_options=self._storage_options, **self._load_args
        )

    def _check_saved_format(self, load_path: str) -> None:
        """Stop with the setting to use when the table was saved in the other
        format (every stage of a run must use the same ``table_format``)."""
        if self._fs.exists(f"{load_path}/{MARKERS[self._file_format]}"):
            return
        where = load_path
        if self._protocol != "file":
            where = f"{self._protocol}://{load_path}"
        for other, marker in MARKERS.items():
            if other != self._file_format and self._fs.exists(f"{load_path}/{marker}"):
                raise DatasetError(
                    f"{where} was saved as {other}, and this run reads "
                    f"{self._file_format}. Run every stage with the same format: "
                    f"add --params=table_format={other} (or rebuild the table "
                    "with this run's format)."
                )
        if self._fs.exists(load_path):
            raise DatasetError(
                f"{where} holds no whole table ({MARKERS[self._file_format]} is "
                "missing): its save was cut short. Run the stage that makes it "
                "again (`kedro status` names it)."
            )

    def _write(self, data: datasets.Dataset, directory: str) -> None:
        if self._file_format == "parquet":
            write_parquet(data, directory)
        else:
            data.save_to_disk(directory, **self._save_args)

    def _save_dataset(self, data: datasets.Dataset, save_path: str) -> None:
        write = partial(self._write, data)
        save_directory(self._fs, save_path, write, MARKERS[self._file_format])

    def _is_whole(self, path: str) -> bool:
        return self._fs.exists(f"{path}/{MARKERS[self._file_format]}")

    def absence_reason(self) -> str:
        """Why the table does not read as there, when something is there:
        saved in the other format, or cut short; empty otherwise."""
        try:
            self._check_saved_format(
                get_filepath_str(self._get_load_path(), self._protocol)
            )
        except DatasetError as error:
            return str(error)
        return ""

    def _exists(self) -> bool:
        # A publish in progress has removed the marker: the table reads as absent.
        try:
            load_path = get_filepath_str(self._get_load_path(), self._protocol)
        except DatasetError:
            return False
        return self._is_whole(load_path)

    def _describe(self) -> dict[str, Any]:
        return {
            "path": self._filepath,
            "file_format": self._file_format,
            "protocol": self._protocol,
            "version": self._version,
            "load_args": self._load_args,
            "save_args": self._save_args,
        }

    def preview(self, nrows: int = 5, max_chars: int = 120) -> TablePreview:
        """The first ``nrows`` rows, each cell cut to ``max_chars`` characters."""
        dataset = self.load()
        rows = dataset.select(range(min(nrows, len(dataset)))).to_list()
        columns = list(dataset.column_names)
        return TablePreview(
            {
                "index": list(range(len(rows))),
                "columns": columns,
                "data": [[_cell(row[c], max_chars) for c in columns] for row in rows],
            }
        )
