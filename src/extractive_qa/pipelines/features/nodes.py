"""Tokenize examples into windows: the feature sets the model trains and predicts on."""

from __future__ import annotations

from typing import Any

import datasets
from transformers import PreTrainedTokenizerBase

from extractive_qa.qa.features import build_train_features, build_validation_features
from extractive_qa.qa.windows import WindowSettings


def window_settings(tokenization: dict[str, Any]) -> WindowSettings:
    """The ``tokenization`` parameter group as settings."""
    return WindowSettings(
        max_length=tokenization["max_length"],
        doc_stride=tokenization["doc_stride"],
        max_query_length=tokenization["max_query_length"],
    )


def tokenize_train(
    train_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
) -> datasets.Dataset:
    """Training examples -> labelled windows (start/end token of the answer)."""
    return build_train_features(
        train_examples,
        tokenizer,
        window_settings(tokenization),
        chunk_size=tokenization["chunk_size"],
    )


def tokenize_validation(
    validation_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
) -> datasets.Dataset:
    """Validation examples -> windows with example ids and context offsets."""
    return build_validation_features(
        validation_examples,
        tokenizer,
        window_settings(tokenization),
        chunk_size=tokenization["chunk_size"],
    )
