"""Examples -> the stamped window sets the model trains and predicts on, with
questions longer than ``max_query_length`` counted and reported."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import datasets
import numpy as np
from transformers import PreTrainedTokenizerBase

from extractive_qa.qa.features import build_train_features, build_validation_features
from extractive_qa.qa.fingerprint import feature_fingerprint, stamp
from extractive_qa.qa.windows import question_lengths, window_settings

logger = logging.getLogger(__name__)


def count_long_questions(
    tokenizer: PreTrainedTokenizerBase, questions: Sequence[str], limit: int
) -> int:
    """How many questions are longer than ``limit`` tokens (and so get cut)."""
    lengths = question_lengths(tokenizer, [q.lstrip() for q in questions])
    return int(np.sum(lengths > limit))


def _report_long_questions(
    split: str,
    examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    limit: int,
) -> None:
    # [:] reads the column in one call instead of row by row.
    n_long = count_long_questions(tokenizer, examples["question"][:], limit)
    if n_long:
        logger.warning(
            "%s: %d of %d questions are longer than max_query_length (%d tokens) "
            "and were cut to it; raise tokenization.max_query_length to keep more "
            "of them.",
            split,
            n_long,
            len(examples),
            limit,
        )
    else:
        logger.info("%s: no question is longer than %d tokens", split, limit)


def _windows(
    split: str,
    examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
    build: Callable[..., datasets.Dataset],
) -> datasets.Dataset:
    """``build``'s windows of one split, stamped with what they were made from."""
    settings = window_settings(tokenization)
    _report_long_questions(split, examples, tokenizer, settings.max_query_length)
    features = build(
        examples, tokenizer, settings, chunk_size=tokenization["chunk_size"]
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
