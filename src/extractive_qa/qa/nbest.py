"""The n-best answers of each example and its null score (the "no answer" score).

Each window offers its ``n_best_size`` best valid spans (the same candidates and
masks as ``spans.best_window_span``); an example keeps the ``n_best_size`` best
over all of its windows. The null score of an example is the minimum over its
windows of ``start_logit[CLS] + end_logit[CLS]``, as in the SQuAD v2 reference
recipe. CLS is where the window's ``cls_index`` says: first for BERT-style
tokenizers, last for XLNet-style ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from extractive_qa.qa.spans import Span, SpanSettings, candidate_grid
from extractive_qa.qa.window_logits import WindowArrays


@dataclass(frozen=True)
class ExampleCandidates:
    """The best spans of one example, best first, and its null score."""

    spans: list[Span]
    null_score: float

    @property
    def null_odds(self) -> float:
        """Null score minus best span score; +inf when no span is valid."""
        if not self.spans:
            return float("inf")
        return self.null_score - self.spans[0].score


def window_top_spans(
    windows: WindowArrays, window: int, settings: SpanSettings
) -> list[Span]:
    """Up to ``n_best_size`` valid spans of one window, best first."""
    grid = candidate_grid(windows, window, settings)
    rows, columns = np.nonzero(grid.valid)
    scores = grid.scores[rows, columns]
    # Stable on row-major order, so ties break as np.argmax does in spans.py.
    order = np.argsort(-scores, kind="stable")[: settings.n_best_size]
    return [grid.span(windows, rows[i], columns[i]) for i in order]


def window_null_scores(windows: WindowArrays) -> np.ndarray:
    """``start_logit + end_logit`` of each window's CLS token."""
    cls = windows.null_positions
    return windows.start_logits[cls] + windows.end_logits[cls]


def rank_spans(
    example_ids: list[str],
    feature_example_ids: list[str],
    windows: WindowArrays,
    settings: SpanSettings,
) -> dict[str, ExampleCandidates]:
    """Per example, its ``n_best_size`` best spans over all windows and its null
    score (the minimum over its windows)."""
    spans: dict[str, list[Span]] = {example_id: [] for example_id in example_ids}
    null: dict[str, float] = dict.fromkeys(example_ids, float("inf"))
    null_scores = window_null_scores(windows)
    for window, example_id in enumerate(feature_example_ids):
        if example_id not in spans:
            raise ValueError(
                f"validation feature {window} belongs to example {example_id!r}, "
                "which is not in validation_examples; rebuild the features with "
                "`kedro run --from-nodes=tokenize_validation`."
            )
        spans[example_id].extend(window_top_spans(windows, window, settings))
        null[example_id] = min(null[example_id], float(null_scores[window]))
    return {
        example_id: ExampleCandidates(
            # sorted() is stable: on a tie the earlier window wins, as in spans.py.
            spans=sorted(candidates, key=lambda span: -span.score)[
                : settings.n_best_size
            ],
            null_score=null[example_id],
        )
        for example_id, candidates in spans.items()
    }


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities proportional to ``exp(score)``, computed without overflow."""
    weights = np.exp(scores - scores.max())
    return weights / weights.sum()


def answer_probability(
    candidates: ExampleCandidates, chosen: Span | None
) -> float | None:
    """How sure the model is of the chosen answer: the softmax, over the scores
    of the example's n-best spans and its null score, taken at the chosen span
    (None: the null, the empty answer).

    The null competes in SQuAD v1 mode too: a window without the answer is
    trained to point at CLS, so mass on the null means "not in this context".
    None when nothing can be chosen (no valid span and no null score).
    """
    scores = [span.score for span in candidates.spans]
    if np.isfinite(candidates.null_score):
        scores.append(candidates.null_score)
    if not scores or (chosen is None and not np.isfinite(candidates.null_score)):
        return None
    target = candidates.null_score if chosen is None else chosen.score
    values = np.asarray([target, *scores], dtype=np.float64)
    # The chosen score is one of the scores; its share of their total mass.
    weights = np.exp(values - values.max())
    return float(weights[0] / weights[1:].sum())


def nbest_records(
    candidates: ExampleCandidates,
    context: str,
    n_best_size: int,
    with_null: bool,
) -> list[dict]:
    """The n-best list of one example as records: text, char_start, char_end,
    score and softmax probability over the listed scores.

    With ``with_null`` the empty answer (offsets null) competes at the null
    score, as in the SQuAD v2 recipe.
    """
    entries = [
        {
            "text": context[span.char_start : span.char_end],
            "char_start": span.char_start,
            "char_end": span.char_end,
            "score": span.score,
        }
        for span in candidates.spans
    ]
    if with_null and np.isfinite(candidates.null_score):
        entries.append(
            {
                "text": "",
                "char_start": None,
                "char_end": None,
                "score": candidates.null_score,
            }
        )
        entries = sorted(entries, key=lambda entry: -entry["score"])[:n_best_size]
    if not entries:
        return []
    probabilities = softmax(
        np.asarray([entry["score"] for entry in entries], dtype=np.float64)
    )
    for entry, probability in zip(entries, probabilities, strict=True):
        entry["probability"] = float(probability)
    return entries
