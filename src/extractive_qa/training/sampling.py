"""Which windows go into each training batch.

``training.sampling_strategy`` takes the Trainer's own strategies (``random``,
``group_by_length``, ...) or ``length_buckets``: batches of windows of similar
length drawn from small buckets, in random order (see
``qa.batching.length_bucket_order`` for why and what it measured), by
``training.bucket_trainer.LengthBucketTrainer``.
"""

from __future__ import annotations

from typing import Any

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
