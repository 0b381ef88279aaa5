"""From start/end logits to answer text: pick the best span of each example.

For each window only the ``n_best_size`` highest start and end logits are
candidates (as in the reference recipe); their pairs are scored at once as an
``n_best x n_best`` matrix, masked to spans inside the context, not reversed and
at most ``max_answer_length`` tokens long. The example's answer is the best
span over all of its windows.

``best_spans`` runs that search for all windows at once with numpy (no Python
loop per window or per candidate): a window whose best start and best end
already form a valid span needs no n-best ranking at all, and the others are
ranked with one sort of all their tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from extractive_qa.qa.window_logits import WindowArrays

# Windows scored at once by best_spans; bounds the memory of the n-best search.
CHUNK = 4096


@dataclass(frozen=True)
class SpanSettings:
    """Which spans may be an answer."""

    n_best_size: int
    max_answer_length: int


@dataclass(frozen=True)
class Span:
    """A candidate answer: score and character offsets into the context."""

    score: float
    char_start: int
    char_end: int


def _top_indices(logits: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest logits, largest first; of equal logits the
    earlier token comes first and is kept, as ``window_best_spans`` ranks them
    (bf16 logits tie often). NaN ranks below every number."""
    logits = np.where(np.isnan(logits), -np.inf, logits)
    if len(logits) <= k:
        return np.argsort(-logits, kind="stable")
    kth = np.partition(logits, -k)[-k]
    above = np.flatnonzero(logits > kth)
    tied = np.flatnonzero(logits == kth)[: k - len(above)]
    top = np.concatenate([above, tied])
    return top[np.argsort(-logits[top], kind="stable")]


@dataclass(frozen=True)
class CandidateGrid:
    """One window's n-best starts x n-best ends and which pairs make a valid
    span (both in the context, not reversed, short enough)."""

    first_token: int  # flat index of the window's first token
    starts: np.ndarray  # window-relative token positions, best first
    ends: np.ndarray
    scores: np.ndarray  # (starts x ends) start + end logit
    valid: np.ndarray  # (starts x ends) bool

    def span(self, windows: WindowArrays, row: int, column: int) -> Span:
        """The span of cell ``(row, column)`` in character offsets."""
        return Span(
            score=float(self.scores[row, column]),
            char_start=int(windows.char_starts[self.first_token + self.starts[row]]),
            char_end=int(windows.char_ends[self.first_token + self.ends[column]]),
        )


def candidate_grid(
    windows: WindowArrays, window: int, settings: SpanSettings
) -> CandidateGrid:
    """The ``n_best_size`` x ``n_best_size`` candidate spans of one window."""
    lo, hi = windows.bounds[window], windows.bounds[window + 1]
    start_logits = windows.start_logits[lo:hi]
    end_logits = windows.end_logits[lo:hi]
    in_context = windows.in_context[lo:hi]
    starts = _top_indices(start_logits, settings.n_best_size)
    ends = _top_indices(end_logits, settings.n_best_size)
    length = ends[None, :] - starts[:, None]
    # Masked logits (float32's lowest) sum to -inf, which is what they mean.
    with np.errstate(over="ignore"):
        scores = start_logits[starts][:, None] + end_logits[ends][None, :]
    valid = (
        in_context[starts][:, None]
        & in_context[ends][None, :]
        & (length >= 0)
        & (length < settings.max_answer_length)
        & ~np.isnan(scores)
    )
    return CandidateGrid(int(lo), starts, ends, scores, valid)


def best_window_span(
    windows: WindowArrays, window: int, settings: SpanSettings
) -> Span | None:
    """The highest-scoring valid span of one window, or None if it has none."""
    grid = candidate_grid(windows, window, settings)
    if not grid.valid.any():
        return None
    scores = np.where(grid.valid, grid.scores, -np.inf)
    row, column = np.unravel_index(np.argmax(scores), scores.shape)
    return grid.span(windows, row, column)


def _ranked_top(
    logits: np.ndarray, owner: np.ndarray, bounds: np.ndarray, k: int
) -> np.ndarray:
    """Flat indices of the k largest logits of each window, largest first, as a
    (windows x k) matrix; cells past a window shorter than k hold -1.

    ``owner[i]`` is the window of token ``i``. One sort of all tokens by
    (window, -logit) instead of a sort per window. Float32 logits sort as one
    exact integer key (window in the high bits, the logit's order-preserving
    bit pattern in the low ones), whatever their magnitude; NaN ranks last.
    """
    logits = np.where(np.isnan(logits), -np.inf, logits)
    # -0.0 and 0.0 are equal logits, so one bit pattern (x + 0 gives +0.0).
    logits = logits + logits.dtype.type(0)
    if logits.dtype == np.float32:
        bits = logits.view(np.uint32).astype(np.uint64)
        # Negative floats order by inverted bits, positive ones above them.
        ascending = np.where(bits >> 31, bits ^ 0xFFFFFFFF, bits | 0x80000000)
        key = (owner.astype(np.uint64) << 32) | (0xFFFFFFFF - ascending)
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((-logits, owner))
    rank = np.arange(len(order)) - bounds[owner]
    keep = rank < k
    top = np.full((len(bounds) - 1, k), -1, dtype=np.int64)
    top[owner[keep], rank[keep]] = order[keep]
    return top


def _pair_search(
    windows: WindowArrays,
    settings: SpanSettings,
    starts: np.ndarray,
    ends: np.ndarray,
    present: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best valid (start, end) pair of each row of n-best starts and ends:
    (score, start token, end token), score -inf when no pair is valid."""
    n, k = starts.shape
    length = ends[:, None, :] - starts[:, :, None]
    valid = (
        (present & windows.in_context[starts])[:, :, None]
        & (present & windows.in_context[ends])[:, None, :]
        & (length >= 0)
        & (length < settings.max_answer_length)
    )
    with np.errstate(over="ignore"):  # masked logits sum to -inf
        summed = (
            windows.start_logits[starts][:, :, None]
            + windows.end_logits[ends][:, None, :]
        )
    # A pair with a NaN logit is no answer (argmax would take NaN as the best).
    valid &= ~np.isnan(summed)
    scores = np.where(valid, summed, -np.inf).reshape(n, -1)
    # argmax takes the first best pair in (start rank, end rank) order, as the
    # per-window search and the reference's double loop do.
    best = scores.argmax(axis=1)
    row, column = np.divmod(best, k)
    picked = np.arange(n)
    score = np.where(valid.reshape(n, -1).any(axis=1), scores[picked, best], -np.inf)
    return score, starts[picked, row], ends[picked, column]


def _first_maxima(
    logits: np.ndarray, owner: np.ndarray, bounds: np.ndarray
) -> np.ndarray | None:
    """Flat index of the first largest logit of each window (what a stable
    ranking puts first), or None when a window has none (NaN logits)."""
    maxima = np.maximum.reduceat(logits, bounds[:-1])
    hits = np.flatnonzero(logits == maxima[owner])
    if len(hits) == 0:
        return None
    first = hits[np.r_[True, owner[hits][1:] != owner[hits][:-1]]]
    return first if len(first) == len(bounds) - 1 else None


def _tokens_of(bounds: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat token indices of the windows ``rows``, and their bounds among them."""
    sizes = bounds[rows + 1] - bounds[rows]
    local_bounds = np.concatenate([[0], np.cumsum(sizes)])
    tokens = np.arange(local_bounds[-1]) + np.repeat(
        bounds[rows] - local_bounds[:-1], sizes
    )
    return tokens, local_bounds


def window_best_spans(
    windows: WindowArrays, settings: SpanSettings, first: int, stop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best span of each window in ``first:stop`` at once: (score, character
    start, character end), score -inf where a window has no valid span.

    The same search as ``best_window_span``. Most windows' best start and best
    end already make a valid span, which then scores highest of all pairs
    (float addition is monotonic); only the other windows rank their n-best
    starts and ends and search all their pairs.
    """
    lo, hi = windows.bounds[first], windows.bounds[stop]
    bounds = windows.bounds[first : stop + 1] - lo
    owner = np.repeat(np.arange(stop - first), np.diff(bounds))
    start_logits = windows.start_logits[lo:hi]
    end_logits = windows.end_logits[lo:hi]
    best_start = _first_maxima(start_logits, owner, bounds)
    best_end = _first_maxima(end_logits, owner, bounds)
    score = np.full(stop - first, -np.inf)
    start = np.full(stop - first, lo)
    end = np.full(stop - first, lo)
    if best_start is not None and best_end is not None:
        score, start, end = _pair_search(
            windows,
            settings,
            best_start[:, None] + lo,
            best_end[:, None] + lo,
            np.ones((stop - first, 1), dtype=bool),
        )
    rest = np.flatnonzero(~np.isfinite(score))
    if len(rest):
        tokens, rest_bounds = _tokens_of(bounds, rest)
        rest_owner = np.repeat(np.arange(len(rest)), np.diff(rest_bounds))
        k = settings.n_best_size
        starts = _ranked_top(start_logits[tokens], rest_owner, rest_bounds, k)
        ends = _ranked_top(end_logits[tokens], rest_owner, rest_bounds, k)
        # Both have a cell for each of a window's first k tokens.
        present = starts >= 0
        starts = np.where(present, tokens[starts] + lo, lo)
        ends = np.where(present, tokens[ends] + lo, lo)
        score[rest], start[rest], end[rest] = _pair_search(
            windows, settings, starts, ends, present
        )
    return score, windows.char_starts[start], windows.char_ends[end]


def best_spans(
    example_ids: Sequence[str],
    feature_example_ids: Sequence[str],
    windows: WindowArrays,
    settings: SpanSettings,
) -> dict[str, Span | None]:
    """Best span per example over all of its windows (None when no window has
    a valid span); the first window wins a tie."""
    # [:] reads a datasets column in one call instead of row by row.
    example_ids = list(example_ids[:])
    position = {example_id: i for i, example_id in enumerate(example_ids)}
    owners = np.empty(len(feature_example_ids), dtype=np.int64)
    for window, example_id in enumerate(feature_example_ids[:]):
        if example_id not in position:
            raise ValueError(
                f"validation feature {window} belongs to example {example_id!r}, "
                "which is not in validation_examples; rebuild the features with "
                "`kedro run --from-nodes=tokenize_validation`."
            )
        owners[window] = position[example_id]
    best: dict[str, Span | None] = dict.fromkeys(example_ids)
    if not len(owners):
        return best
    score = np.full(len(owners), -np.inf)
    char_start = np.zeros(len(owners), dtype=np.int64)
    char_end = np.zeros(len(owners), dtype=np.int64)
    chunks = range(0, len(owners), CHUNK)
    if len(chunks) > 1:
        chunks = tqdm(chunks, desc="postprocess", unit="chunk")
    for first in chunks:
        stop = min(first + CHUNK, len(owners))
        score[first:stop], char_start[first:stop], char_end[first:stop] = (
            window_best_spans(windows, settings, first, stop)
        )
    # Per example, its windows by descending score, then in window order.
    order = np.lexsort((np.arange(len(owners)), -score, owners))
    first = order[np.r_[True, owners[order][1:] != owners[order][:-1]]]
    for window in first[np.isfinite(score[first])]:
        best[example_ids[owners[window]]] = Span(
            score=float(score[window]),
            char_start=int(char_start[window]),
            char_end=int(char_end[window]),
        )
    return best


def span_settings(postprocessing: dict[str, Any]) -> SpanSettings:
    """The ``postprocessing`` parameter group as span settings."""
    return SpanSettings(
        n_best_size=postprocessing["n_best_size"],
        max_answer_length=postprocessing["max_answer_length"],
    )
