"""Tokenize examples into windows, through ``extractive_qa.qa.feature_sets``."""

from __future__ import annotations

from typing import Any

import datasets
from transformers import PreTrainedTokenizerBase

from extractive_qa.qa.feature_sets import train_windows, validation_windows


def tokenize_train(
    train_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
) -> datasets.Dataset:
    """Training examples -> labelled windows (start/end token of the answer)."""
    return train_windows(train_examples, tokenizer, tokenization)


def tokenize_validation(
    validation_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
) -> datasets.Dataset:
    """Validation examples -> windows with example ids and context offsets."""
    return validation_windows(validation_examples, tokenizer, tokenization)
