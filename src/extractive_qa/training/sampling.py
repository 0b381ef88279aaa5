"""Which windows go into each training batch.

``training.sampling_strategy`` takes the Trainer's own strategies (``random``,
``group_by_length``, ...) or ``length_buckets``: batches of windows of similar
length drawn from small buckets, in random order (see
``qa.batching.length_bucket_order`` for why and what it measured).
"""

from __future__ import annotations

from typing import Any

import datasets
import numpy as np
import torch
from transformers import Trainer

from extractive_qa.qa.batching import LengthBucketSampler

LENGTH_BUCKETS = "length_buckets"


def trainer_sampling(strategy: str) -> str:
    """The ``TrainingArguments.train_sampling_strategy`` for a project strategy:
    ``length_buckets`` replaces the Trainer's random sampler."""
    return "random" if strategy == LENGTH_BUCKETS else strategy


def bucket_batches(training: dict[str, Any]) -> int | None:
    """Batches per length bucket when ``length_buckets`` is chosen, else None."""
    if training["sampling_strategy"] != LENGTH_BUCKETS:
        return None
    return int(training["length_bucket_batches"])


class LengthBucketTrainer(Trainer):
    """A Trainer that draws length-bucketed batches when ``bucket_batches`` is set."""

    def __init__(self, *args: Any, bucket_batches: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.bucket_batches = bucket_batches

    def _get_train_sampler(
        self, train_dataset: datasets.Dataset | None = None
    ) -> torch.utils.data.Sampler | None:
        dataset = self.train_dataset if train_dataset is None else train_dataset
        if self.bucket_batches is None or dataset is None:
            return super()._get_train_sampler(train_dataset)
        lengths = np.fromiter(map(len, dataset["input_ids"][:]), dtype=np.int64)
        seed = self.args.seed if self.args.data_seed is None else self.args.data_seed
        return LengthBucketSampler(
            lengths,
            self.args.train_batch_size * self.args.gradient_accumulation_steps,
            self.bucket_batches,
            seed=seed,
        )
