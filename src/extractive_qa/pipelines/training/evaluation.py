"""Evaluation during fine-tuning, with the project's own QA stages.

The Trainer's built-in evaluation compares logits with labels; extractive QA
is scored on answer text. So evaluation here runs the same code as the
pipeline's ``predict``, ``postprocess`` and ``score``: window logits, the best
span of each example, and EM/F1 against the gold answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import datasets
from transformers import PreTrainedModel, Trainer

from extractive_qa.metrics.scoring import (
    AnswerScorer,
    QAScores,
    korquad_exact_match,
    korquad_f1,
    score_predictions,
    squad_exact_match,
    squad_f1,
)
from extractive_qa.qa.inference import predict_window_logits
from extractive_qa.qa.spans import SpanSettings, best_spans, window_arrays

logger = logging.getLogger(__name__)

SCORERS: dict[str, tuple[AnswerScorer, AnswerScorer]] = {
    "korquad": (korquad_exact_match, korquad_f1),
    "squad": (squad_exact_match, squad_f1),
}


@dataclass(frozen=True)
class SpanEvaluation:
    """What one evaluation needs besides the model being trained."""

    examples: datasets.Dataset
    features: datasets.Dataset
    spans: SpanSettings
    pad_token_id: int
    batch_size: int
    metric: str = "korquad"

    def __post_init__(self) -> None:
        if self.metric not in SCORERS:
            raise ValueError(
                f"training.eval_metric is {self.metric!r}; use one of "
                f"{sorted(SCORERS)}."
            )


def predicted_answers(
    examples: datasets.Dataset,
    features: datasets.Dataset,
    logits: datasets.Dataset,
    spans: SpanSettings,
) -> dict[str, str]:
    """``{example id: answer text}`` from window logits (empty when no span)."""
    best = best_spans(
        examples["id"], features["example_id"], window_arrays(features, logits), spans
    )
    contexts = dict(zip(examples["id"], examples["context"], strict=True))
    return {
        example_id: ""
        if span is None
        else contexts[example_id][span.char_start : span.char_end]
        for example_id, span in best.items()
    }


def span_scores(model: PreTrainedModel, evaluation: SpanEvaluation) -> QAScores:
    """EM and F1 (percent) of the model's answers on the evaluation examples."""
    logits = predict_window_logits(
        model,
        evaluation.features,
        pad_token_id=evaluation.pad_token_id,
        batch_size=evaluation.batch_size,
        # The model stays where the Trainer put it.
        device=str(next(model.parameters()).device),
    )
    answers = predicted_answers(
        evaluation.examples, evaluation.features, logits, evaluation.spans
    )
    examples = evaluation.examples
    return score_predictions(
        [{"id": i, "prediction_text": answers[i]} for i in examples["id"]],
        [
            {"id": i, "answers": a}
            for i, a in zip(examples["id"], examples["answers"], strict=True)
        ],
        *SCORERS[evaluation.metric],
    )


class SpanEvaluationTrainer(Trainer):
    """A Trainer whose ``evaluate`` scores answers with ``span_scores``."""

    def __init__(self, *args: Any, evaluation: SpanEvaluation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.span_evaluation = evaluation

    def evaluate(
        self,
        eval_dataset: Any = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> dict[str, float]:
        scores = span_scores(self.model, self.span_evaluation)
        metrics = {f"{metric_key_prefix}_{key}": value for key, value in scores.items()}
        logger.info(
            "epoch %.2f, step %d: %s EM %.2f, F1 %.2f",
            self.state.epoch or 0.0,
            self.state.global_step,
            self.span_evaluation.metric,
            scores["exact_match"],
            scores["f1"],
        )
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(
            self.args, self.state, self.control, metrics
        )
        return metrics


def training_curve(log_history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Trainer's log history as one record per logged step:
    ``{epoch, step, train_loss, eval_exact_match, eval_f1}`` (null when not
    measured at that step)."""
    by_step: dict[int, dict[str, Any]] = {}
    for entry in log_history:
        if "loss" not in entry and "eval_f1" not in entry:
            continue  # the end-of-training summary and other bookkeeping
        step = int(entry["step"])
        record = by_step.setdefault(
            step,
            {
                "epoch": 0.0,
                "step": step,
                "train_loss": None,
                "eval_exact_match": None,
                "eval_f1": None,
            },
        )
        record["epoch"] = max(record["epoch"], float(entry.get("epoch") or 0.0))
        if "loss" in entry:
            record["train_loss"] = float(entry["loss"])
        if "eval_f1" in entry:
            record["eval_exact_match"] = float(entry["eval_exact_match"])
            record["eval_f1"] = float(entry["eval_f1"])
    return [by_step[step] for step in sorted(by_step)]
