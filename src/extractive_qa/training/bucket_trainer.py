"""The Trainer that draws length-bucketed batches (``training.sampling`` says
when), apart from the sampling settings: importing the Trainer takes seconds,
and only training needs it."""

from __future__ import annotations

from typing import Any

import datasets
import numpy as np
import torch
from transformers import Trainer

from extractive_qa.qa.batching import LengthBucketSampler


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
