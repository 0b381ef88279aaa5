"""Examples -> the stamped window sets the model trains and predicts on, with
questions longer than ``max_query_length`` counted and reported."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import datasets
from transformers import PreTrainedTokenizerBase

from extractive_qa.qa.features import build_train_features, build_validation_features
from extractive_qa.qa.fingerprint import feature_fingerprint, stamp
from extractive_qa.qa.windows import window_settings

logger = logging.getLogger(__name__)


def _windows(
    split: str,
    examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
    build: Callable[..., datasets.Dataset],
) -> datasets.Dataset:
    """``build``'s windows of one split, stamped with what they were made from."""
    settings = window_settings(tokenization)
    features = build(
        examples,
        tokenizer,
        settings,
        chunk_size=tokenization["chunk_size"],
        split=split,
    )
    stamp(features, feature_fingerprint(examples, tokenizer, settings))
    return features


def train_windows(
    train_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
) -> datasets.Dataset:
    """Training examples -> labelled windows (start/end token of the answer)."""
    return _windows(
        "train_examples", train_examples, tokenizer, tokenization, build_train_features
    )


def validation_windows(
    validation_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
) -> datasets.Dataset:
    """Validation examples -> windows with example ids and context offsets."""
    return _windows(
        "validation_examples",
        validation_examples,
        tokenizer,
        tokenization,
        build_validation_features,
    )
