"""Where the model fails: EM/F1 per question and by question word, answer
length, context length and number of windows; the worst questions; plots.

Per-question scores use the KorQuAD 1.0 rules (character F1), the official
metric for Korean; a question without gold answers expects the empty answer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import datasets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from extractive_qa.gc_pause import collector_paused_during
from extractive_qa.metrics.scoring import (
    korquad_exact_match,
    korquad_f1,
    normalize_korquad_answer,
)
from extractive_qa.reporting.plots import error_breakdown_figure, training_curve_figure

QUESTION_WORDS = ("누구", "언제", "어디", "무엇", "몇", "왜", "어떻게")
NO_ANSWER = "no answer"


def question_word(question: str) -> str:
    """The question word that comes first in the question, or "other"."""
    found = [(question.find(word), word) for word in QUESTION_WORDS]
    found = [(at, word) for at, word in found if at >= 0]
    return min(found)[1] if found else "other"


def bin_labels(edges: list[int]) -> list[str]:
    """Labels of the bins [edge, next edge) and the open last bin."""
    labels = [
        str(low) if high - low == 1 else f"{low}-{high - 1}"
        for low, high in zip(edges, edges[1:], strict=False)
    ]
    return [*labels, f"{edges[-1]}+"]


def bin_values(values: np.ndarray, edges: list[int]) -> list[str]:
    """The bin label of each value (values below the first edge join bin 0)."""
    labels = bin_labels(edges)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, None)
    return [labels[i] for i in index]


def _question_scores(prediction: str, golds: list[str]) -> tuple[float, float]:
    """KorQuAD EM and F1 (0..1) against the best gold answer; without gold
    answers, both are whether the prediction is empty."""
    if not golds:
        right = float(not normalize_korquad_answer(prediction))
        return right, right
    return (
        max(korquad_exact_match(prediction, gold) for gold in golds),
        max(korquad_f1(prediction, gold) for gold in golds),
    )


@collector_paused_during
def score_questions(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_predictions: dict[str, str],
) -> pd.DataFrame:
    """Examples, windows, predictions -> one row per question with its question
    word, lengths, window count and KorQuAD EM/F1 (percent)."""
    windows = Counter(validation_features["example_id"])
    rows = []
    for example in validation_examples:
        example_id = example["id"]
        if example_id not in validation_predictions:
            raise ValueError(
                f"validation_predictions has no answer for example {example_id!r}; "
                "rerun `kedro run --from-nodes=postprocess`."
            )
        prediction = validation_predictions[example_id]
        golds = list(example["answers"]["text"])
        exact, f1 = _question_scores(prediction, golds)
        rows.append(
            {
                "id": example_id,
                "question": example["question"],
                "question_word": question_word(example["question"]),
                "gold_answers": " | ".join(golds),
                "prediction": prediction,
                "answer_length": len(golds[0]) if golds else 0,
                "context_length": len(example["context"]),
                "windows": windows[example_id],
                "exact_match": 100.0 * exact,
                "f1": round(100.0 * f1, 2),
            }
        )
    return pd.DataFrame(rows)


def _summarise(scores: pd.DataFrame, groups: list[str], name: str) -> pd.DataFrame:
    table = (
        scores.assign(group=groups)
        .groupby("group", sort=False)
        .agg(
            questions=("id", "size"),
            exact_match=("exact_match", "mean"),
            f1=("f1", "mean"),
        )
        .reset_index()
    )
    return table.assign(breakdown=name).round({"exact_match": 2, "f1": 2})


def _ordered(table: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rank = {label: i for i, label in enumerate(order)}
    return table.sort_values("group", key=lambda g: g.map(rank), kind="stable")


def break_down_errors(
    question_scores: pd.DataFrame, error_analysis: dict[str, Any]
) -> pd.DataFrame:
    """Per-question scores -> EM/F1 and question count by question word, answer
    length, context length and number of windows (one row per group)."""
    answer_edges = error_analysis["answer_length_edges"]
    context_edges = error_analysis["context_length_edges"]
    window_edges = error_analysis["window_count_edges"]
    answer_groups = [
        NO_ANSWER if length == 0 else label
        for length, label in zip(
            question_scores["answer_length"],
            bin_values(question_scores["answer_length"].to_numpy(), answer_edges),
            strict=True,
        )
    ]
    tables = [
        _ordered(
            _summarise(
                question_scores, list(question_scores["question_word"]), "question_word"
            ),
            [*QUESTION_WORDS, "other"],
        ),
        _ordered(
            _summarise(question_scores, answer_groups, "answer_length"),
            [*bin_labels(answer_edges), NO_ANSWER],
        ),
        _ordered(
            _summarise(
                question_scores,
                bin_values(question_scores["context_length"].to_numpy(), context_edges),
                "context_length",
            ),
            bin_labels(context_edges),
        ),
        _ordered(
            _summarise(
                question_scores,
                bin_values(question_scores["windows"].to_numpy(), window_edges),
                "window_count",
            ),
            bin_labels(window_edges),
        ),
    ]
    columns = ["breakdown", "group", "questions", "exact_match", "f1"]
    return pd.concat(tables, ignore_index=True)[columns]


def list_worst_questions(
    question_scores: pd.DataFrame, error_analysis: dict[str, Any]
) -> pd.DataFrame:
    """Per-question scores -> the ``n_worst`` lowest-F1 questions (ties by id)."""
    worst = question_scores.sort_values(["f1", "id"], kind="stable").head(
        error_analysis["n_worst"]
    )
    return worst[["id", "question", "gold_answers", "prediction", "f1"]].reset_index(
        drop=True
    )


def plot_error_breakdown(error_breakdown: pd.DataFrame) -> Figure:
    """Breakdown table -> bar charts of EM/F1 per group, Hangul labels."""
    return error_breakdown_figure(error_breakdown)


TRAINING_CURVE_FIELDS = ("epoch", "step", "train_loss", "eval_exact_match", "eval_f1")


def plot_training_curve(training_curve: list[dict[str, Any]]) -> Figure:
    """Training-curve records -> loss by step and validation EM/F1 by epoch."""
    if not training_curve:
        raise ValueError(
            "training_curve is empty: fine_tune recorded no step; check "
            "training.logging_steps and that training ran."
        )
    curve = pd.DataFrame(training_curve)
    missing = [field for field in TRAINING_CURVE_FIELDS if field not in curve]
    if missing:
        raise ValueError(
            f"training_curve records lack {missing}; each record needs "
            f"{list(TRAINING_CURVE_FIELDS)} (null where not measured)."
        )
    return training_curve_figure(curve.astype({"train_loss": float, "eval_f1": float}))
