"""Prepare the starting model and fine-tune it for span prediction.

The library modules are imported when a node runs: transformers' model and
Trainer code take seconds to import, and every kedro command imports these
nodes, the CPU stages' runs included. ``code_in`` names them, so that editing
them still makes what the nodes made stale.
"""

from __future__ import annotations

from typing import Any

import datasets

from extractive_qa.datasets.checkpoint_folder import CheckpointFolder
from extractive_qa.freshness import code_in
from extractive_qa.qa_model import QAModel


@code_in("extractive_qa.training.models")
def prepare_model(
    train_examples: datasets.Dataset, model: dict[str, Any]
) -> dict[str, Any]:
    """Training examples + ``model`` parameters -> ``tokenizer`` and ``base_model``.

    With ``model.checkpoint`` set, that checkpoint is loaded; without, the
    embedded default builds a small model from the training text.
    """
    from extractive_qa.training.models import starting_model

    qa_model = starting_model(train_examples, model)
    return {"tokenizer": qa_model.tokenizer, "base_model": qa_model}


@code_in("extractive_qa.training.trainer")
def fine_tune(
    train_features: datasets.Dataset,
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    base_model: QAModel,
    checkpoint_folder: CheckpointFolder,
    training: dict[str, Any],
    tokenization: dict[str, Any],
    version_2_with_negative: bool,
) -> dict[str, Any]:
    """Training windows + base model -> ``fine_tuned_model`` (the best by
    validation F1) and ``training_curve``: ``training.trainer.fine_tune``."""
    from extractive_qa.training import trainer

    return trainer.fine_tune(
        train_features,
        validation_examples,
        validation_features,
        base_model,
        checkpoint_folder,
        training,
        tokenization,
        version_2_with_negative,
    )
