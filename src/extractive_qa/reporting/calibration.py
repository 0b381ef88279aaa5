"""Is the answer probability worth acting on? Validation questions binned by the
probability of their predicted answer, each bin with how often the answer was
right: a reliability table.

A probability is calibrated when, in each bin, the share of exact matches is
close to the mean probability. The last row covers every question; its ``gap``
is the expected calibration error (the bins' gaps weighted by their counts).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

RELIABILITY_COLUMNS = (
    "probability_bin",
    "questions",
    "mean_probability",
    "exact_match",
    "f1",
    "gap",
)


def _checked_edges(edges: list[float]) -> np.ndarray:
    values = np.asarray(edges, dtype=np.float64)
    if (
        len(values) < 2
        or values[0] != 0.0
        or values[-1] != 1.0
        or np.any(np.diff(values) <= 0)
    ):
        raise ValueError(
            f"error_analysis.probability_edges must rise from 0.0 to 1.0 with at "
            f"least two edges; got {list(edges)}. Fix it in "
            "conf/base/parameters_error_analysis.yml or with --params."
        )
    return values


def _labels(edges: np.ndarray) -> list[str]:
    last = len(edges) - 2
    return [
        f"[{low:g}, {high:g}{']' if i == last else ')'}"
        for i, (low, high) in enumerate(zip(edges[:-1], edges[1:], strict=True))
    ]


def _row(label: str, group: pd.DataFrame) -> dict[str, Any]:
    mean_probability = float(group["probability"].mean())
    exact_match = float(group["exact_match"].mean())
    return {
        "probability_bin": label,
        "questions": len(group),
        "mean_probability": round(mean_probability, 4),
        "exact_match": round(exact_match, 2),
        "f1": round(float(group["f1"].mean()), 2),
        "gap": round(abs(mean_probability - exact_match / 100.0), 4),
    }


def reliability_table(
    question_scores: pd.DataFrame,
    validation_probabilities: dict[str, float | None],
    error_analysis: dict[str, Any],
) -> pd.DataFrame:
    """``question_scores`` (id, exact_match, f1 in percent) and each question's
    answer probability -> one row per probability bin of
    ``error_analysis.probability_edges`` (empty bins included, with NaN means),
    then the row ``all``. Questions without a probability are left out."""
    edges = _checked_edges(error_analysis["probability_edges"])
    missing = sorted(set(question_scores["id"]) - set(validation_probabilities))
    if missing:
        raise ValueError(
            f"validation_probabilities has no entry for {len(missing)} scored "
            f"questions (ids {missing[:5]}); rerun "
            "`kedro run --from-nodes=rank_answers`."
        )
    scores = question_scores.assign(
        probability=[validation_probabilities[i] for i in question_scores["id"]]
    )
    unknown = scores["probability"].isna()
    if unknown.any():
        logger.warning(
            "reliability: %d questions have no answer probability (no valid "
            "span and no null score) and are left out",
            int(unknown.sum()),
        )
    scores = scores[~unknown].astype({"probability": np.float64})
    labels = _labels(edges)
    # side="right" puts a probability equal to an edge in the bin it opens;
    # 1.0 itself joins the last bin.
    index = np.clip(
        np.searchsorted(edges, scores["probability"], side="right") - 1,
        0,
        len(labels) - 1,
    )
    rows = []
    gaps = 0.0
    for position, label in enumerate(labels):
        group = scores[index == position]
        if group.empty:
            rows.append(
                {"probability_bin": label, "questions": 0}
                | dict.fromkeys(RELIABILITY_COLUMNS[2:], np.nan)
            )
            continue
        row = _row(label, group)
        gaps += row["gap"] * len(group)
        rows.append(row)
    if len(scores):
        total = _row("all", scores)
        total["gap"] = round(gaps / len(scores), 4)
        rows.append(total)
    return pd.DataFrame(rows, columns=list(RELIABILITY_COLUMNS))
