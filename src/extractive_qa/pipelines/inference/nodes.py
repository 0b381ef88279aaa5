"""Predict span logits for the validation windows and turn them into answers,
through ``extractive_qa.qa.decoding``."""

from __future__ import annotations

from typing import Any

import datasets

from extractive_qa.qa.decoding import decode_answers, predict_logits, ranked_answers
from extractive_qa.qa.spans import span_settings
from extractive_qa.qa_model import QAModel


def predict(
    validation_features: datasets.Dataset,
    fine_tuned_model: QAModel,
    inference: dict[str, Any],
) -> datasets.Dataset:
    """Validation windows + fine-tuned model -> start/end logits per window."""
    return predict_logits(
        validation_features,
        fine_tuned_model,
        batch_size=inference["batch_size"],
        device=inference["device"],
    )


def postprocess(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_logits: datasets.Dataset,
    postprocessing: dict[str, Any],
    version_2_with_negative: bool,
) -> dict[str, str]:
    """Examples, windows and their logits -> ``{example id: answer text}``."""
    return decode_answers(
        validation_examples,
        validation_features,
        validation_logits,
        span_settings(postprocessing),
        version_2_with_negative,
        postprocessing["null_score_diff_threshold"],
    )


def rank_answers(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_logits: datasets.Dataset,
    postprocessing: dict[str, Any],
    version_2_with_negative: bool,
) -> dict[str, dict]:
    """Examples, windows and logits -> ``validation_nbest``,
    ``validation_null_odds`` and ``validation_probabilities``."""
    return ranked_answers(
        validation_examples,
        validation_features,
        validation_logits,
        span_settings(postprocessing),
        version_2_with_negative,
        postprocessing["null_score_diff_threshold"],
    )
