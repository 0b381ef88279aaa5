"""From start/end logits to answer text: pick the best span of each example.

For each window only the ``n_best_size`` highest start and end logits are
candidates (as in the reference recipe); their pairs are scored at once as an
``n_best x n_best`` matrix, masked to spans inside the context, not reversed and
at most ``max_answer_length`` tokens long. The example's answer is the best
span over all of its windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import datasets
import numpy as np
import pyarrow as pa
from tqdm.auto import tqdm


@dataclass(frozen=True)
class SpanSettings:
    """Which spans may be an answer."""

    n_best_size: int = 20
    max_answer_length: int = 30


@dataclass(frozen=True)
class Span:
    """A candidate answer: score and character offsets into the context."""

    score: float
    char_start: int
    char_end: int


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
    feature_table = features.with_format("arrow")[:]
    logit_table = logits.with_format("arrow")[:]
    pairs, bounds = _flat_list(feature_table.column("offset_mapping"))
    starts, logit_bounds = _flat_list(logit_table.column("start_logits"))
    ends, _ = _flat_list(logit_table.column("end_logits"))
    if not np.array_equal(bounds, logit_bounds):
        raise ValueError(
            "validation_logits and validation_features disagree on window lengths; "
            "rerun `kedro run --nodes=predict`."
        )
    flat_pairs = pairs.flatten().to_numpy(zero_copy_only=False)
    in_context = pairs.is_valid().to_numpy(zero_copy_only=False)
    # Null pairs flatten to nothing; scatter the valid ones back into place.
    char_starts = np.full(len(pairs), -1, dtype=np.int64)
    char_ends = np.full(len(pairs), -1, dtype=np.int64)
    char_starts[in_context] = flat_pairs[0::2]
    char_ends[in_context] = flat_pairs[1::2]
    return WindowArrays(
        start_logits=starts.to_numpy(zero_copy_only=False),
        end_logits=ends.to_numpy(zero_copy_only=False),
        char_starts=char_starts,
        char_ends=char_ends,
        in_context=in_context,
        bounds=bounds,
    )


def _top_indices(logits: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest logits, largest first."""
    if len(logits) <= k:
        return np.argsort(logits, kind="stable")[::-1]
    top = np.argpartition(logits, -k)[-k:]
    return top[np.argsort(logits[top], kind="stable")[::-1]]


def best_window_span(
    windows: WindowArrays, window: int, settings: SpanSettings
) -> Span | None:
    """The highest-scoring valid span of one window, or None if it has none."""
    lo, hi = windows.bounds[window], windows.bounds[window + 1]
    start_logits = windows.start_logits[lo:hi]
    end_logits = windows.end_logits[lo:hi]
    in_context = windows.in_context[lo:hi]
    starts = _top_indices(start_logits, settings.n_best_size)
    ends = _top_indices(end_logits, settings.n_best_size)
    length = ends[None, :] - starts[:, None]
    valid = (
        in_context[starts][:, None]
        & in_context[ends][None, :]
        & (length >= 0)
        & (length < settings.max_answer_length)
    )
    if not valid.any():
        return None
    scores = np.where(
        valid, start_logits[starts][:, None] + end_logits[ends][None, :], -np.inf
    )
    row, column = np.unravel_index(np.argmax(scores), scores.shape)
    return Span(
        score=float(scores[row, column]),
        char_start=int(windows.char_starts[lo + starts[row]]),
        char_end=int(windows.char_ends[lo + ends[column]]),
    )


def best_spans(
    example_ids: list[str],
    feature_example_ids: list[str],
    windows: WindowArrays,
    settings: SpanSettings,
) -> dict[str, Span | None]:
    """Best span per example over all of its windows (None when no window has
    a valid span)."""
    best: dict[str, Span | None] = dict.fromkeys(example_ids)
    for window, example_id in enumerate(
        tqdm(feature_example_ids, desc="postprocess", unit="window", mininterval=2)
    ):
        if example_id not in best:
            raise ValueError(
                f"validation feature {window} belongs to example {example_id!r}, "
                "which is not in validation_examples; rebuild the features with "
                "`kedro run --from-nodes=tokenize_validation`."
            )
        span = best_window_span(windows, window, settings)
        current = best[example_id]
        if span is not None and (current is None or span.score > current.score):
            best[example_id] = span
    return best
