"""Predict span logits for the validation windows and turn them into answers."""

from __future__ import annotations

from typing import Any

import datasets

from extractive_qa.qa.fingerprint import (
    check_same,
    check_value,
    examples_fingerprint,
    read_stamp,
    stamp,
    tokenizer_fingerprint,
)
from extractive_qa.qa.inference import predict_window_logits
from extractive_qa.qa.spans import SpanSettings, best_spans, window_arrays
from extractive_qa.qa_model import QAModel


def predict(
    validation_features: datasets.Dataset,
    fine_tuned_model: QAModel,
    inference: dict[str, Any],
) -> datasets.Dataset:
    """Validation windows + fine-tuned model -> start/end logits per window."""
    fingerprint = read_stamp(validation_features)
    check_value(
        "tokenizer",
        "validation_features",
        fingerprint and fingerprint.tokenizer,
        "fine_tuned_model",
        tokenizer_fingerprint(fine_tuned_model.tokenizer),
        "Rebuild the windows with the model's tokenizer: "
        "`kedro run --from-nodes=tokenize_validation`.",
    )
    logits = predict_window_logits(
        fine_tuned_model.model,
        validation_features,
        pad_token_id=fine_tuned_model.tokenizer.pad_token_id,
        batch_size=inference["batch_size"],
        device=inference["device"],
    )
    if fingerprint is not None:
        stamp(logits, fingerprint)
    return logits


def postprocess(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_logits: datasets.Dataset,
    postprocessing: dict[str, Any],
) -> dict[str, str]:
    """Examples, windows and their logits -> ``{example id: answer text}``."""
    check_inputs_match(validation_examples, validation_features, validation_logits)
    settings = SpanSettings(
        n_best_size=postprocessing["n_best_size"],
        max_answer_length=postprocessing["max_answer_length"],
    )
    windows = window_arrays(validation_features, validation_logits)
    spans = best_spans(
        validation_examples["id"], validation_features["example_id"], windows, settings
    )
    contexts = dict(
        zip(validation_examples["id"], validation_examples["context"], strict=True)
    )
    return {
        example_id: ""
        if span is None
        else contexts[example_id][span.char_start : span.char_end]
        for example_id, span in spans.items()
    }


def check_inputs_match(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_logits: datasets.Dataset,
) -> None:
    """Stop when the logits were predicted for other windows, or the windows
    were cut from other examples."""
    features_fingerprint = read_stamp(validation_features)
    check_same(
        "validation_logits",
        read_stamp(validation_logits),
        "validation_features",
        features_fingerprint,
        "The logits were predicted for other windows; rerun "
        "`kedro run --from-nodes=predict`.",
    )
    check_value(
        "examples",
        "validation_features",
        features_fingerprint and features_fingerprint.examples,
        "validation_examples",
        examples_fingerprint(validation_examples),
        "The windows were cut from other examples; rerun "
        "`kedro run --from-nodes=tokenize_validation`.",
    )
