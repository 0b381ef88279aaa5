"""Read a ``datasets.Dataset``'s columns as Arrow without per-access overhead.

Every ``dataset[...]`` or ``with_format`` call deep-copies the dataset's
feature schema; on the 602 validation questions that was a third of
``postprocess``'s 8 ms. A dataset with no pending ``select``/``filter`` (no
indices mapping) is its Arrow table as stored, which can be read directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import datasets
import pyarrow as pa


def arrow_columns(dataset: datasets.Dataset, names: Sequence[str]) -> pa.Table:
    """The columns ``names`` of ``dataset`` as an Arrow table, rows in order."""
    # datasets keeps a pending select/filter as an indices mapping; the stored
    # table is only the dataset's rows when there is none.
    if dataset._indices is None:
        return dataset.data.table.select(list(names))
    return dataset.select_columns(list(names)).with_format("arrow")[:]


def column_list(dataset: datasets.Dataset, name: str) -> list:
    """One column as a Python list."""
    return arrow_columns(dataset, [name]).column(0).to_pylist()
