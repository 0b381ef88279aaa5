"""What both recipes share in the benchmark: the training arguments, and the
project's own training loop and logits layout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import datasets
import numpy as np
import pyarrow as pa
from transformers import PreTrainedTokenizerBase

from extractive_qa.bench import reference
from extractive_qa.qa.feature_sets import train_windows as tokenize_train
from extractive_qa.qa.feature_sets import validation_windows as tokenize_validation
from extractive_qa.qa.fingerprint import read_stamp, stamp
from extractive_qa.qa.windows import window_settings
from extractive_qa.training.arguments import optimisation_arguments

if TYPE_CHECKING:
    from transformers import PreTrainedModel, TrainingArguments


def reference_features(
    train_examples: datasets.Dataset,
    validation_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """The reference recipe's padded train and validation windows."""
    settings = window_settings(tokenization)
    return (
        reference.build_features(train_examples, tokenizer, settings, train=True),
        reference.build_features(validation_examples, tokenizer, settings, train=False),
    )


def project_features(
    train_examples: datasets.Dataset,
    validation_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """The project's nodes' unpadded train and validation windows."""
    return (
        tokenize_train(train_examples, tokenizer, tokenization),
        tokenize_validation(validation_examples, tokenizer, tokenization),
    )


def bench_arguments(
    training: dict[str, Any],
    bench: dict[str, Any],
    *,
    sampling: str,
) -> TrainingArguments:
    """The ``training`` parameters for either recipe; only ``sampling`` differs.

    The benchmark always runs on the CPU in fp32 so both recipes do the same
    arithmetic; no checkpoints are written.
    """
    # Imported on use: transformers' Trainer and model code take seconds to
    # import, and every kedro command imports this module with the bench pipeline.
    from transformers import TrainingArguments

    return TrainingArguments(
        **{
            **optimisation_arguments(training),
            "num_train_epochs": bench["num_train_epochs"]
            or training["num_train_epochs"],
        },
        output_dir=bench["output_dir"],
        train_sampling_strategy=sampling,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )


def train_project(
    model: PreTrainedModel,
    features: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    arguments: TrainingArguments,
    bucket_batches: int | None,
) -> PreTrainedModel:
    """The project's training recipe (as in ``fine_tune``): unpadded windows,
    padded per batch by ``WindowCollator``, batches drawn as ``training`` says
    (length buckets by default: ``bucket_batches``)."""
    from extractive_qa.qa.batching import WindowCollator
    from extractive_qa.qa.inference import usable_positions
    from extractive_qa.training.bucket_trainer import LengthBucketTrainer

    trainer = LengthBucketTrainer(
        model=model,
        args=arguments,
        train_dataset=features,
        data_collator=WindowCollator(
            pad_token_id=tokenizer.pad_token_id,
            max_width=usable_positions(model),
        ),
        processing_class=tokenizer,
        bucket_batches=bucket_batches,
    )
    trainer.train()
    return trainer.model


def ragged_logits(
    start_logits: np.ndarray, end_logits: np.ndarray, features: datasets.Dataset
) -> datasets.Dataset:
    """Padded ``(windows, max_length)`` logits cut to each window's length: the
    layout the project's ``predict`` writes, so its post-processing can read the
    reference recipe's logits."""
    lengths = np.fromiter(map(len, features["input_ids"][:]), dtype=np.int32)
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    keep = np.arange(start_logits.shape[1])[None, :] < lengths[:, None]
    logits = datasets.Dataset(
        pa.table(
            {
                name: pa.ListArray.from_arrays(
                    offsets, pa.array(values[keep].astype(np.float32))
                )
                for name, values in (
                    ("start_logits", start_logits),
                    ("end_logits", end_logits),
                )
            }
        )
    )
    # Tied to the windows they were predicted for, as predict's output is.
    fingerprint = read_stamp(features)
    if fingerprint is not None:
        stamp(logits, fingerprint)
    return logits


def padding_masked(
    start_logits: np.ndarray, end_logits: np.ndarray, features: datasets.Dataset
) -> tuple[np.ndarray, np.ndarray]:
    """Padded logits with -inf at the padding (``attention_mask`` 0), which the
    unpadded logits of the project do not have."""
    padding = np.asarray(features["attention_mask"][:]) == 0
    return (
        np.where(padding, -np.inf, start_logits),
        np.where(padding, -np.inf, end_logits),
    )
