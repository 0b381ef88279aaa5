"""Prepare the starting model and fine-tune it for span prediction."""

from __future__ import annotations

from typing import Any

import datasets

from extractive_qa.training.models import starting_model
from extractive_qa.training.trainer import fine_tune

__all__ = ["fine_tune", "prepare_model"]


def prepare_model(
    train_examples: datasets.Dataset, model: dict[str, Any]
) -> dict[str, Any]:
    """Training examples + ``model`` parameters -> ``tokenizer`` and ``base_model``.

    With ``model.checkpoint`` set, that checkpoint is loaded; without, the
    embedded default builds a small model from the training text.
    """
    qa_model = starting_model(train_examples, model)
    return {"tokenizer": qa_model.tokenizer, "base_model": qa_model}
