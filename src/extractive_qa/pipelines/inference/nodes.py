"""Predict span logits for the validation windows and turn them into answers."""

from __future__ import annotations

from typing import Any

import datasets

from extractive_qa.qa.inference import predict_window_logits
from extractive_qa.qa.spans import SpanSettings, best_spans, window_arrays
from extractive_qa.qa_model import QAModel


def predict(
    validation_features: datasets.Dataset,
    fine_tuned_model: QAModel,
    inference: dict[str, Any],
) -> datasets.Dataset:
    """Validation windows + fine-tuned model -> start/end logits per window."""
    return predict_window_logits(
        fine_tuned_model.model,
        validation_features,
        pad_token_id=fine_tuned_model.tokenizer.pad_token_id,
        batch_size=inference["batch_size"],
        device=inference["device"],
    )


def postprocess(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_logits: datasets.Dataset,
    postprocessing: dict[str, Any],
) -> dict[str, str]:
    """Examples, windows and their logits -> ``{example id: answer text}``."""
    settings = SpanSettings(
        n_best_size=postprocessing["n_best_size"],
        max_answer_length=postprocessing["max_answer_length"],
    )
    windows = window_arrays(validation_features, validation_logits)
    spans = best_spans(
        validation_examples["id"], validation_features["example_id"], windows, settings
    )
    # [:] reads each column in one call instead of row by row.
    contexts = dict(
        zip(
            validation_examples["id"][:],
            validation_examples["context"][:],
            strict=True,
        )
    )
    return {
        example_id: ""
        if span is None
        else contexts[example_id][span.char_start : span.char_end]
        for example_id, span in spans.items()
    }
