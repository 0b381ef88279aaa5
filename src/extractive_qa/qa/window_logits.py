"""The logits and context offsets of all windows as flat numpy arrays.

The feature set and the logits are ragged Arrow columns, one list per window.
``window_arrays`` flattens them once, so that the span search reads a window as
a slice (``bounds[i]`` to ``bounds[i + 1]``) instead of converting each row.
"""

from __future__ import annotations

from dataclasses import dataclass

import datasets
import numpy as np
import pyarrow as pa

from extractive_qa.qa.tables import arrow_columns


@dataclass(frozen=True)
class WindowArrays:
    """Logits and context offsets of all windows, flattened; ``bounds[i]`` to
    ``bounds[i + 1]`` are the tokens of window ``i``."""

    start_logits: np.ndarray
    end_logits: np.ndarray
    char_starts: np.ndarray
    char_ends: np.ndarray
    in_context: np.ndarray
    bounds: np.ndarray
    # Flat index of each window's CLS token, whose logits score "no answer".
    null_positions: np.ndarray


def _flat_list(column: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    array = column.combine_chunks()
    offsets = array.offsets.to_numpy()
    return array.values.slice(offsets[0], offsets[-1] - offsets[0]), offsets - offsets[
        0
    ]


def window_arrays(features: datasets.Dataset, logits: datasets.Dataset) -> WindowArrays:
    """Flatten the ragged Arrow columns once so windows are numpy slices."""
    if len(features) != len(logits):
        raise ValueError(
            f"validation_logits has {len(logits)} rows but validation_features has "
            f"{len(features)}: the logits were predicted from other features. "
            "Rerun `kedro run --nodes=predict`."
        )
    # Feature sets built before cls_index was stored have CLS first.
    has_cls = "cls_index" in features.column_names
    feature_table = arrow_columns(
        features, ["offset_mapping", "cls_index"] if has_cls else ["offset_mapping"]
    )
    logit_table = arrow_columns(logits, ["start_logits", "end_logits"])
    pairs, bounds = _flat_list(feature_table.column("offset_mapping"))
    starts, logit_bounds = _flat_list(logit_table.column("start_logits"))
    ends, _ = _flat_list(logit_table.column("end_logits"))
    if not np.array_equal(bounds, logit_bounds):
        raise ValueError(
            "validation_logits and validation_features disagree on window lengths; "
            "rerun `kedro run --nodes=predict` (with the stages on separate "
            "machines: `kedro run --pipelines=train` on the train machine)."
        )
    flat_pairs = pairs.flatten().to_numpy(zero_copy_only=False)
    in_context = pairs.is_valid().to_numpy(zero_copy_only=False)
    # Null pairs flatten to nothing; scatter the valid ones back into place.
    char_starts = np.full(len(pairs), -1, dtype=np.int64)
    char_ends = np.full(len(pairs), -1, dtype=np.int64)
    char_starts[in_context] = flat_pairs[0::2]
    char_ends[in_context] = flat_pairs[1::2]
    null_positions = bounds[:-1].astype(np.int64)
    if has_cls:
        null_positions = null_positions + feature_table.column("cls_index").to_numpy()
    return WindowArrays(
        start_logits=starts.to_numpy(zero_copy_only=False),
        end_logits=ends.to_numpy(zero_copy_only=False),
        char_starts=char_starts,
        char_ends=char_ends,
        in_context=in_context,
        bounds=bounds,
        null_positions=null_positions,
    )
