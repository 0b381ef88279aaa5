"""``huggingface.ArrowDataset`` with a table preview for kedro-viz and atomic
saves (local folders are written beside their place and renamed into it).

kedro-datasets' ArrowDataset has no ``preview``; examples, windows and logits
are Arrow tables, and seeing their first rows in kedro-viz is the quickest way
to check what a stage wrote.

Example catalog entry::

    validation_features:
      type: extractive_qa.datasets.ArrowTableDataset
      path: data/04_feature/validation_features
      metadata:
        kedro-viz:
          layer: feature
          preview_args: {nrows: 5}
"""

from __future__ import annotations

from functools import partial
from typing import Any

import datasets
from kedro_datasets._typing import TablePreview
from kedro_datasets.huggingface import ArrowDataset

from extractive_qa.datasets.atomic import replace_directory


def _cell(value: Any, max_chars: int) -> Any:
    """Numbers and short strings as they are; anything else (token lists,
    offsets, nested answers) as text cut to ``max_chars``."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


class ArrowTableDataset(ArrowDataset):
    """A Hugging Face ``Dataset`` saved with ``save_to_disk``, previewable."""

    def _save_dataset(self, data: datasets.Dataset, save_path: str) -> None:
        if self._protocol != "file":
            # Object stores have no rename; their uploads land whole or not at all.
            super()._save_dataset(data, save_path)
            return
        replace_directory(save_path, partial(data.save_to_disk, **self._save_args))

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
