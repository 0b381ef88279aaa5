"""The folder fine-tuning keeps its checkpoints in, as a catalog entry.

The Trainer writes the checkpoints itself; what the node needs from the catalog
is where they go and how to reach that place. As an entry, the folder follows
the storage root and gets the same credentials as every other artifact there.

Example catalog entry::

    fine_tune_checkpoints:
      type: extractive_qa.datasets.CheckpointFolderDataset
      path: s3://bucket/run/06_models/fine_tune_work
      credentials: storage
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem
from kedro.io.core import AbstractDataset, DatasetError


@dataclass(frozen=True)
class CheckpointFolder:
    """Where fine-tuning keeps its checkpoints: a local folder or a URL, and the
    filesystem options (credentials, endpoint) that reach it."""

    location: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        """Whether the folder is on a filesystem other than the local disk."""
        fs, _ = fsspec.core.url_to_fs(self.location, **self.storage_options)
        return not isinstance(fs, LocalFileSystem)


class CheckpointFolderDataset(AbstractDataset[None, CheckpointFolder]):
    """Loads a ``CheckpointFolder``: the path and its filesystem options."""

    # A working area: its content changes as training runs, and does not
    # decide what fine_tune makes (freshness/ leaves it out of stamps).
    WORKSPACE = True

    def __init__(
        self,
        *,
        path: str,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._path = str(path)
        self._storage_options = {
            **deepcopy(credentials or {}),
            **deepcopy(fs_args or {}),
        }
        self.metadata = metadata

    def load(self) -> CheckpointFolder:
        return CheckpointFolder(self._path, self._storage_options)

    def save(self, data: None) -> None:
        raise DatasetError(
            f"{self._path} is where fine_tune's Trainer writes checkpoints; no node "
            "saves to this entry. Use it only as a node input."
        )

    def _exists(self) -> bool:
        # The folder is made when the first checkpoint is written.
        return True

    def _describe(self) -> dict[str, Any]:
        # Credentials stay out of logs and kedro-viz.
        return {"path": self._path}
