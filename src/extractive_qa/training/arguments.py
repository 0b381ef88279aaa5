"""The Trainer arguments that decide what is learnt, from the ``training``
parameter group."""

from __future__ import annotations

from typing import Any


def optimisation_arguments(training: dict[str, Any]) -> dict[str, Any]:
    """The ``TrainingArguments`` that decide what is learnt and how it is
    logged, shared by ``fine_tune`` and both recipes of the benchmark."""
    return {
        "learning_rate": training["learning_rate"],
        "num_train_epochs": training["num_train_epochs"],
        "per_device_train_batch_size": training["batch_size"],
        "weight_decay": training["weight_decay"],
        "warmup_steps": training["warmup_ratio"],
        "lr_scheduler_type": training["lr_scheduler_type"],
        "seed": training["seed"],
        "data_seed": training["seed"],
        "logging_steps": training["logging_steps"],
        "report_to": training["report_to"],
        "dataloader_num_workers": training["dataloader_num_workers"],
    }
