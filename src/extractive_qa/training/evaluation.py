"""Evaluation during fine-tuning, with the project's own QA stages.

The Trainer's built-in evaluation compares logits with labels; extractive QA
is scored on answer text. So evaluation here runs the pipeline's own
``predict`` and ``postprocess`` nodes and scores their answers with the
project's EM/F1 rules (an unanswerable question expects the empty answer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import datasets
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from extractive_qa.metrics.scoring import (
    AnswerScorer,
    QAScores,
    korquad_exact_match,
    korquad_f1,
    normalize_korquad_answer,
    normalize_squad_answer,
    score_predictions,
    squad_exact_match,
    squad_f1,
)
from extractive_qa.metrics.scoring_v2 import score_with_no_answer
from extractive_qa.qa.decoding import decode_answers, predict_logits
from extractive_qa.qa.spans import span_settings
from extractive_qa.qa_model import QAModel
from extractive_qa.training.bucket_trainer import LengthBucketTrainer

logger = logging.getLogger(__name__)

SCORERS: dict[str, tuple[AnswerScorer, AnswerScorer]] = {
    "korquad": (korquad_exact_match, korquad_f1),
    "squad": (squad_exact_match, squad_f1),
}
NORMALIZERS = {"korquad": normalize_korquad_answer, "squad": normalize_squad_answer}


@dataclass(frozen=True)
class SpanEvaluation:
    """What one evaluation needs besides the model being trained."""

    examples: datasets.Dataset
    features: datasets.Dataset
    tokenizer: PreTrainedTokenizerBase
    postprocessing: dict[str, Any]
    batch_size: int
    metric: str
    # SQuAD v2: answers may be empty (null score vs best span), scored v2-style;
    # the threshold is postprocessing.null_score_diff_threshold.
    version_2_with_negative: bool

    def __post_init__(self) -> None:
        if self.metric not in SCORERS:
            raise ValueError(
                f"training.eval_metric is {self.metric!r}; use one of "
                f"{sorted(SCORERS)}."
            )


def span_scores(model: PreTrainedModel, evaluation: SpanEvaluation) -> QAScores:
    """EM and F1 (percent) of the model's answers, decoded the way the predict
    and postprocess nodes decode; an unanswerable question expects ""."""
    logits = predict_logits(
        evaluation.features,
        QAModel(model=model, tokenizer=evaluation.tokenizer),
        batch_size=evaluation.batch_size,
        # The model stays where the Trainer put it.
        device=str(model.device),
    )
    answers = decode_answers(
        evaluation.examples,
        evaluation.features,
        logits,
        span_settings(evaluation.postprocessing),
        evaluation.version_2_with_negative,
        evaluation.postprocessing["null_score_diff_threshold"],
    )
    examples = evaluation.examples
    predictions = [{"id": i, "prediction_text": answers[i]} for i in examples["id"]]
    references = [
        {"id": i, "answers": a}
        for i, a in zip(examples["id"], examples["answers"], strict=True)
    ]
    if evaluation.version_2_with_negative:
        result = score_with_no_answer(
            predictions,
            references,
            NORMALIZERS[evaluation.metric],
            *SCORERS[evaluation.metric],
        )
        return QAScores(exact_match=result["exact"], f1=result["f1"])
    return score_predictions(predictions, references, *SCORERS[evaluation.metric])


class SpanEvaluationTrainer(LengthBucketTrainer):
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
