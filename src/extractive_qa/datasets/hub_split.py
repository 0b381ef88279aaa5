"""One split of a Hugging Face dataset that works without the hub: read from the
local cache in offline mode, or from a local SQuAD/KorQuAD JSON file instead.

kedro-datasets' ``huggingface.HFDataset`` asks the hub's search API for a
description whenever Kedro names the dataset, so a run without the hub stops
before any data loads, even with the data in the local cache. This dataset
describes itself from its own arguments and loads with
``datasets.load_dataset(dataset_name, split=...)``, which reads the local cache
when ``HF_HUB_OFFLINE=1``.

With ``filepath`` set, the split is read from that file through
``SquadJSONDataset`` (with its checks) and the hub is never asked. This
project's catalogs fill ``filepath`` from the runtime parameter named by
``local_file_param`` (``train_file``, ``validation_file``): runtime parameters
reach the catalog under any ``--env``, while ``conf/local`` is read only when no
environment is named.

Example catalog entry::

    raw_train:
      type: extractive_qa.datasets.HubSplitDataset
      dataset_name: squad_kor_v1
      split: train
      filepath: ${runtime_params:train_file, null}
"""

from __future__ import annotations

import os
from typing import Any

import datasets
from datasets.load import CachedDatasetModuleFactory
from kedro.io.core import AbstractDataset, DatasetError

from extractive_qa.datasets.squad_json import SquadJSONDataset


class HubDataUnavailableError(DatasetError):
    """A hub dataset is neither in the local cache nor reachable on the hub.

    A ``DatasetError``, so Kedro passes the message on unwrapped."""


def local_file_param(split: str) -> str:
    """The runtime parameter that gives ``split`` as a local file, e.g.
    ``train_file``; the names the reference ``run_qa.py`` uses for its options."""
    return f"{split}_file"


class HubSplitDataset(AbstractDataset[None, datasets.Dataset | dict[str, Any]]):
    """One split of a hub dataset, or a local SQuAD-format JSON file in its place.

    Loads a ``datasets.Dataset`` from the hub or the local cache, or the JSON
    document when ``filepath`` is given; read-only.
    """

    def __init__(
        self,
        *,
        dataset_name: str,
        split: str,
        filepath: str | os.PathLike | None = None,
        load_args: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Name the split, and optionally a local file that replaces it.

        Args:
            dataset_name: The hub name, e.g. ``squad_kor_v1``.
            split: The split to load, e.g. ``train``.
            filepath: A SQuAD/KorQuAD JSON file (local or any fsspec path) read
                instead of the hub dataset; ``None`` uses the hub or its cache.
            load_args: More keyword arguments for ``datasets.load_dataset``
                (``revision``, ``cache_dir``, ...).
            credentials: Credentials for the filesystem of ``filepath``.
            fs_args: Extra arguments for that filesystem's constructor.
            metadata: Anything; ignored by Kedro.
        """
        self._dataset_name = dataset_name
        self._split = split
        self._filepath = str(filepath) if filepath else None
        self._json = (
            SquadJSONDataset(
                filepath=self._filepath, credentials=credentials, fs_args=fs_args
            )
            if self._filepath
            else None
        )
        # The file's filesystem and path, so that the freshness checks count a
        # local file by its content (bytes, or the object store's ETag), as
        # every other raw file; a hub split counts by its description.
        self._fs = self._json._fs if self._json is not None else None
        self._path = str(self._json._filepath) if self._json is not None else None
        self._load_args = dict(load_args or {})
        self.metadata = metadata

    @property
    def dataset_name(self) -> str:
        return self._dataset_name

    @property
    def split(self) -> str:
        return self._split

    @property
    def filepath(self) -> str | None:
        """The file read instead of the hub, or ``None``."""
        return self._filepath

    def load(self) -> datasets.Dataset | dict[str, Any]:
        if self._json is not None:
            if not self._json.exists():
                raise DatasetError(
                    f"{self._filepath}: no such file, given as the local file for "
                    f"split '{self._split}' of {self._dataset_name}. Check the path "
                    f"passed as --params={local_file_param(self._split)}=..."
                )
            return self._json.load()
        try:
            return datasets.load_dataset(
                self._dataset_name, split=self._split, **self._load_args
            )
        except ConnectionError as error:
            raise HubDataUnavailableError(self._unavailable_message(error)) from error

    def _unavailable_message(self, error: ConnectionError) -> str:
        cache = self._load_args.get("cache_dir") or datasets.config.HF_DATASETS_CACHE
        param = local_file_param(self._split)
        return (
            f"{self._dataset_name} (split {self._split}) is not in the Hugging Face "
            f"datasets cache ({cache}) and the hub cannot be used ({error}).\n"
            "Either fill the cache where the hub is reachable:\n"
            f"  python -c \"import datasets; datasets.load_dataset('"
            f"{self._dataset_name}')\"\n"
            "and copy ~/.cache/huggingface to this machine (or set HF_HOME to the "
            "copy), then run with HF_HUB_OFFLINE=1; or read a local SQuAD/KorQuAD "
            "JSON file instead by adding to the kedro run command:\n"
            f"  --params={param}=/path/to/{self._split}.json"
        )

    def save(self, data: Any) -> None:
        raise DatasetError(
            f"{type(self).__name__} ({self._dataset_name}, split {self._split}) is "
            "read-only: it is a raw source. Save derived data to a dataset of its "
            "own, e.g. an extractive_qa.datasets.ArrowTableDataset."
        )

    def _describe(self) -> dict[str, Any]:
        # Arguments only: describing must never ask the hub.
        return {
            "dataset_name": self._dataset_name,
            "split": self._split,
            "filepath": self._filepath,
            "load_args": self._load_args,
        }

    def _exists(self) -> bool:
        """Whether the split can be loaded without the hub."""
        if self._json is not None:
            return self._json.exists()
        cache_dir = self._load_args.get("cache_dir")
        try:
            # The cache lookup load_dataset falls back to offline: no network.
            CachedDatasetModuleFactory(
                self._dataset_name, cache_dir=cache_dir and str(cache_dir)
            ).get_module()
        except FileNotFoundError:
            return False
        return True
