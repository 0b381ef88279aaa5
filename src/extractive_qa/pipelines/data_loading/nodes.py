"""Raw sources in any accepted shape -> checked examples, through
``extractive_qa.records``."""

from __future__ import annotations

from typing import Any

from extractive_qa.records import load_splits


def load(
    raw_train: Any,
    raw_validation: Any,
    data_loading: dict[str, Any],
    task: dict[str, Any],
) -> dict[str, Any]:
    """Raw training and validation sources -> checked train and validation
    examples and a data-quality report per split."""
    return load_splits(
        raw_train,
        raw_validation,
        on_invalid=data_loading["on_invalid"],
        on_leak=data_loading["on_leak"],
        version_2_with_negative=task["version_2_with_negative"],
    )
