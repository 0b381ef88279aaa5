"""The embedded default's raw data: a KorQuAD-layout JSON file made on first load.

On load, the file is generated from the seed if it is missing, then read back
with ``SquadJSONDataset`` (``json.JSONDataset`` plus checks), so the default run
goes through the same JSON path as a real KorQuAD file. Delete the file to
regenerate it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from kedro.io.core import AbstractDataset
from kedro_datasets._typing import JSONPreview

from extractive_qa.datasets.squad_json import SquadJSONDataset
from extractive_qa.demo.synthetic import generate_korquad

logger = logging.getLogger(__name__)


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
        self._json = SquadJSONDataset(
            filepath=filepath, save_args={"ensure_ascii": False, "indent": 1}
        )
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
            logger.info("generating %s (%s)", self._filepath, self._generation)
            self._json.save(generate_korquad(**self._generation))
        return self._json.load()

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
