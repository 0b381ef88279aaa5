"""Kedro datasets for Hugging Face ``save_pretrained`` directories.

kedro-datasets has no dataset for a model directory. These write one with
``save_pretrained`` and read it back with ``from_pretrained`` on any fsspec
filesystem. Transformers only reads and writes local paths, so a directory on any
other filesystem (s3, gcs, memory, ...) travels through a local temporary copy,
and a save there is uploaded under a staging prefix and then published with its
marker file last, so a reader never loads half a model.

Example catalog entry::

    qa_model:
      type: extractive_qa.datasets.QAModelDataset
      filepath: data/06_models/qa_model
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from copy import deepcopy
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import fsspec
from kedro.io.core import AbstractDataset, DatasetError
from kedro_datasets._typing import JSONPreview

from extractive_qa.datasets.atomic import save_directory
from extractive_qa.datasets.paths import protocol_and_path
from extractive_qa.qa_model import SETTINGS_FILE, QAModel, load_qa_weights

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

_Saved = TypeVar("_Saved")

# How often a load copies a directory that a save keeps replacing meanwhile.
DOWNLOAD_TRIES = 3

# save_pretrained always writes one of these; a directory holding neither was not
# written by these datasets, and replacing it could wipe unrelated files.
_SAVE_PRETRAINED_MARKERS = ("config.json", "tokenizer_config.json")


class _PretrainedDirectoryDataset(AbstractDataset[_Saved, _Saved]):
    """Directory handling shared by the datasets below; subclasses say what goes in.

    A save replaces the whole directory, so no file of an earlier save (an old
    ``pytorch_model.bin``, a vocabulary of another size) outlives it.
    """

    DESCRIPTION: ClassVar[str]
    # The file whose presence means the directory holds a finished save.
    MARKER: ClassVar[str]
    DEFAULT_LOAD_ARGS: ClassVar[dict[str, Any]] = {"trust_remote_code": False}
    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        *,
        filepath: str | os.PathLike,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Point the dataset at a directory, local or on any fsspec filesystem.

        Args:
            filepath: The directory, e.g. ``data/06_models/qa_model`` or
                ``s3://bucket/models/qa_model``.
            load_args: Keyword arguments for ``from_pretrained``. Remote code stays
                off unless ``trust_remote_code: true`` is given here.
            save_args: Keyword arguments for ``save_pretrained``.
            credentials: Credentials for the fsspec filesystem.
            fs_args: Extra arguments for the fsspec filesystem constructor.
            metadata: Anything; ignored by Kedro.
        """
        protocol, path = protocol_and_path(filepath)
        self._filepath = str(filepath)
        self._protocol = protocol
        self._path = path.rstrip("/")
        self._fs = fsspec.filesystem(
            protocol, **deepcopy(credentials or {}), **deepcopy(fs_args or {})
        )
        self._load_args = {**self.DEFAULT_LOAD_ARGS, **(load_args or {})}
        self._save_args = {**self.DEFAULT_SAVE_ARGS, **(save_args or {})}
        self.metadata = metadata

    @staticmethod
    def _saves() -> type:
        """The type ``save`` takes (imported only when a save needs it:
        transformers costs every kedro command seconds at startup)."""
        raise NotImplementedError

    def _write(self, data: _Saved, directory: str) -> None:
        raise NotImplementedError

    def _read(self, directory: str) -> _Saved:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._filepath,
            "protocol": self._protocol,
            "load_args": self._load_args,
            "save_args": self._save_args,
        }

    def _exists(self) -> bool:
        return self._fs.exists(f"{self._path}/{self.MARKER}")

    def preview(self) -> JSONPreview:
        """The directory's ``MARKER`` file (model config, tokenizer settings)
        and the files beside it, for kedro-viz; no weights are read."""
        with self._fs.open(f"{self._path}/{self.MARKER}", "r") as marker:
            settings = json.load(marker)
        files = sorted(
            Path(entry).name for entry in self._fs.ls(self._path, detail=False)
        )
        return JSONPreview(json.dumps({"files": files, self.MARKER: settings}))

    def load(self) -> _Saved:
        if not self._exists():
            raise DatasetError(
                f"No {self.DESCRIPTION} directory at '{self._filepath}' "
                f"({self.MARKER} is missing). Run the stage that writes it first, "
                "e.g. `kedro run --to-outputs=<this dataset's catalog name>`, or "
                "fix the filepath in the catalog."
            )
        if self._protocol == "file":
            return self._read(self._path)
        for _ in range(DOWNLOAD_TRIES):
            with tempfile.TemporaryDirectory() as local_dir:
                if self._download(local_dir):
                    return self._read(local_dir)
        where = f"{self._protocol}://{self._path}"
        if self._version() is None:
            raise DatasetError(
                f"{where} was removed while it was read ({self.MARKER} is gone): "
                "a save replacing it is at work, or it was deleted. Load it again "
                "once that save is done."
            )
        raise DatasetError(
            f"{where} was replaced by a save each time it was read "
            f"({DOWNLOAD_TRIES} tries): the run or command that saves it is still "
            "at work. Load it again once that save is done."
        )

    def _version(self) -> str | None:
        """The details of every file of the directory (ETag, size, time),
        asked of the store itself, not of a cached listing: a save that
        publishes changes them. None: no marker, no whole save."""
        self._fs.invalidate_cache(self._path)
        files = self._fs.find(self._path, detail=True)
        if f"{self._path}/{self.MARKER}" not in files:
            return None
        return json.dumps(
            {
                name: {key: value for key, value in info.items() if key != "name"}
                for name, info in files.items()
            },
            sort_keys=True,
            default=str,
        )

    def _download(self, local_dir: str) -> bool:
        """Copy the directory to ``local_dir``; whether the copy is one whole
        save. Readers take no lock (the answer command, the served model), so
        a save may publish during the copy: its files then differ from those
        seen before, or its marker is gone."""
        before = self._version()
        try:
            # The trailing slash copies the directory's contents, not the folder.
            self._fs.get(f"{self._path}/", local_dir, recursive=True)
        except FileNotFoundError:
            return False  # a file removed by a publish while it was listed
        copied = Path(local_dir, self.MARKER).is_file()
        return copied and before is not None and self._version() == before

    def save(self, data: _Saved) -> None:
        saves = self._saves()
        if not isinstance(data, saves):
            raise ValueError(
                f"{type(self).__name__} at '{self._filepath}' saves a "
                f"{saves.__name__}, got {type(data).__name__}; make the node "
                f"that produces this dataset return a {saves.__name__}."
            )
        self._check_replaceable()
        # A crash mid-save leaves the previous directory whole.
        save_directory(self._fs, self._path, partial(self._write, data), self.MARKER)
        self._fs.invalidate_cache(self._path)
        logger.info("Saved %s to %s", self.DESCRIPTION, self._filepath)

    def _check_replaceable(self) -> bool:
        """Whether a previous save is there; refuse to replace anything else."""
        if not self._fs.exists(self._path):
            return False
        holds_save = any(
            self._fs.exists(f"{self._path}/{marker}")
            for marker in _SAVE_PRETRAINED_MARKERS
        ) or bool(self._fs.glob(f"{self._path}.partial-*"))  # a publish cut short
        if not holds_save and self._fs.ls(self._path):
            raise DatasetError(
                f"Refusing to replace '{self._filepath}': it exists but holds none "
                f"of {', '.join(_SAVE_PRETRAINED_MARKERS)}, so save_pretrained did "
                "not write it. Point filepath at a directory of its own, or delete "
                "this one if its contents are safe to lose."
            )
        return True


class QAModelDataset(_PretrainedDirectoryDataset[QAModel]):
    """A question-answering model and its tokenizer in one directory.

    Weights are written and read as safetensors only: a pickled
    ``pytorch_model.bin`` can run code when loaded.
    """

    DESCRIPTION = "QA model"
    MARKER = "config.json"
    DEFAULT_LOAD_ARGS = {"use_safetensors": True, "trust_remote_code": False}

    @staticmethod
    def _saves() -> type:
        return QAModel

    def _write(self, data: QAModel, directory: str) -> None:
        data.model.save_pretrained(directory, **self._save_args)
        data.tokenizer.save_pretrained(directory)
        if data.settings is not None:
            settings = Path(directory) / SETTINGS_FILE
            settings.write_text(json.dumps(data.settings, indent=1) + "\n")

    def _read(self, directory: str) -> QAModel:
        from transformers import AutoTokenizer

        model = load_qa_weights(directory, **self._load_args)
        # One trust_remote_code setting for both halves of the directory.
        tokenizer = AutoTokenizer.from_pretrained(
            directory, trust_remote_code=self._load_args["trust_remote_code"]
        )
        settings_file = Path(directory) / SETTINGS_FILE
        settings = (
            json.loads(settings_file.read_text()) if settings_file.exists() else None
        )
        return QAModel(model=model, tokenizer=tokenizer, settings=settings)


class TokenizerDataset(_PretrainedDirectoryDataset["PreTrainedTokenizerBase"]):
    """A tokenizer alone, e.g. one trained on the corpus before any model exists."""

    DESCRIPTION = "tokenizer"
    MARKER = "tokenizer_config.json"

    @staticmethod
    def _saves() -> type:
        from transformers import PreTrainedTokenizerBase

        return PreTrainedTokenizerBase

    def _write(self, data: PreTrainedTokenizerBase, directory: str) -> None:
        data.save_pretrained(directory, **self._save_args)

    def _read(self, directory: str) -> PreTrainedTokenizerBase:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(directory, **self._load_args)
