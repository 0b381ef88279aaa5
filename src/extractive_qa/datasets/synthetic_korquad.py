"""The embedded default's raw data: a KorQuAD-layout JSON file made on first load.

On load, the file is generated from the seed if it is missing, then read back
with ``SquadJSONDataset`` (``json.JSONDataset`` plus checks), so the default run
goes through the same JSON path as a real KorQuAD file. Delete the file to
regenerate it. The file is written whole or not at all: into a hidden sibling,
then renamed into place, so a run killed while generating leaves no cut file
behind that the next run would read. The hidden file a killed generation left
goes at the next generation on the same host (and in the same container).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import uuid
from typing import Any

from kedro.io.core import AbstractDataset
from kedro_datasets._typing import JSONPreview

from extractive_qa.datasets.squad_json import SquadJSONDataset
from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.run_lock import pid_namespace, process_alive

logger = logging.getLogger(__name__)

# How the JSON is written (what makes its bytes, which its fingerprint reads).
SAVE_ARGS = {"ensure_ascii": False, "indent": 1}
_PARTIAL = re.compile(r"\.partial-(?P<where>.+)-(?P<pid>\d+)-[0-9a-f]{8}$")


def _where() -> str:
    """This host and its pid namespace: where a process id means this process
    (two containers with one hostname have their own namespaces)."""
    namespace = re.sub(r"\D", "", pid_namespace() or "") or "0"
    return f"{socket.gethostname()}-{namespace}"


def _left_by_dead_process(suffix: str) -> bool:
    """Whether a ``.partial-<host>-<namespace>-<pid>-<hex>`` file is a
    generation by a process of this host and pid namespace that has ended."""
    match = _PARTIAL.fullmatch(suffix)
    return (
        match is not None
        and match["where"] == _where()
        and not process_alive(int(match["pid"]))
    )


class SyntheticKorQuADDataset(AbstractDataset[dict, dict]):
    """Synthetic Korean SQuAD-format data written to ``filepath`` as JSON.

    Example catalog entry::

        raw_train:
          type: extractive_qa.datasets.SyntheticKorQuADDataset
          filepath: data/01_raw/synthetic_korquad_train.json
          split: train
          n_questions: 4000
          seed: 13
          unanswerable_fraction: 0.0   # > 0 adds SQuAD v2 questions without answer
    """

    def __init__(
        self,
        *,
        filepath: str,
        split: str,
        n_questions: int,
        seed: int = 13,
        long_fraction: float = 0.05,
        unanswerable_fraction: float = 0.0,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._json = SquadJSONDataset(filepath=filepath, save_args=SAVE_ARGS)
        self._filepath = filepath
        # The file's filesystem and path, for stamps and source fingerprints.
        self._fs, self._path = self._json._fs, str(self._json._filepath)
        self._generation = {
            "split": split,
            "n_questions": n_questions,
            "seed": seed,
            "long_fraction": long_fraction,
            "unanswerable_fraction": unanswerable_fraction,
        }
        self.metadata = metadata

    def load(self) -> dict:
        if not self._json.exists():
            self._generate()
        return self._json.load()

    def _generate(self) -> None:
        """Write the file into a hidden sibling and rename it into place.
        Processes that generate it at once (torchrun's) write the same bytes."""
        logger.info("generating %s (%s)", self._filepath, self._generation)
        text = json.dumps(generate_korquad(**self._generation), **SAVE_ARGS)
        parent, _, name = self._path.rpartition("/")
        folder = parent or "."
        self._fs.makedirs(folder, exist_ok=True)
        # Each process its own hidden file, named by host, pid namespace and
        # process, so that the files of killed generations here can go
        # (another process's may still be being written).
        prefix = f"{folder}/.{name}.partial-"
        for leftover in self._fs.glob(f"{prefix}*"):
            if _left_by_dead_process(leftover[leftover.rindex(".partial-") :]):
                self._fs.rm_file(leftover)
        staging = f"{prefix}{_where()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        with self._fs.open(staging, "w", encoding="utf-8") as file:
            file.write(text)
        self._fs.mv(staging, self._path)

    def save(self, data: dict) -> None:
        self._json.save(data)

    def _exists(self) -> bool:
        return self._json.exists()

    def preview(self, n_articles: int = 2) -> JSONPreview:
        """The first ``n_articles`` articles (paragraphs and questions), for
        kedro-viz."""
        document = self.load()
        return JSONPreview(
            json.dumps(
                {**document, "data": document["data"][:n_articles]},
                ensure_ascii=False,
            )
        )

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, **self._generation}
