"""Score predictions through ``extractive_qa.metrics.report``."""

from __future__ import annotations

from typing import Any

import datasets

from extractive_qa.metrics.report import score_answers


def score(
    validation_examples: datasets.Dataset,
    validation_predictions: dict[str, str],
    validation_null_odds: dict[str, float | None] | None,
    version_2_with_negative: bool,
) -> dict[str, Any]:
    """Gold answers + predicted answers -> EM/F1 (percent): SQuAD and KorQuAD 1.0,
    or with ``version_2_with_negative`` SQuAD v2 figures under both rules."""
    return score_answers(
        validation_examples,
        validation_predictions,
        validation_null_odds,
        version_2_with_negative,
    )
