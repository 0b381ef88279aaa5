"""Score predictions with the SQuAD and the official KorQuAD 1.0 metrics."""

from __future__ import annotations

import logging
from typing import Any

import datasets

from extractive_qa import metrics

logger = logging.getLogger(__name__)


def score(
    validation_examples: datasets.Dataset, validation_predictions: dict[str, str]
) -> dict[str, Any]:
    """Gold answers + predicted answers -> EM/F1 (percent) under both metrics."""
    ids = validation_examples["id"]
    missing = [
        example_id for example_id in ids if example_id not in validation_predictions
    ]
    if missing:
        raise ValueError(
            f"validation_predictions has no answer for {len(missing)} examples "
            f"(first: {missing[:5]}); rerun `kedro run --from-nodes=postprocess`."
        )
    predictions = [
        {"id": example_id, "prediction_text": validation_predictions[example_id]}
        for example_id in ids
    ]
    references = [
        {"id": example_id, "answers": answers}
        for example_id, answers in zip(ids, validation_examples["answers"], strict=True)
    ]
    report: dict[str, Any] = {"n_examples": len(ids)}
    for name in ("squad", "korquad"):
        result = metrics.load(name).compute(
            predictions=predictions, references=references
        )
        report[name] = {key: round(float(value), 4) for key, value in result.items()}
        logger.info("%s: EM %.2f, F1 %.2f", name, result["exact_match"], result["f1"])
    return report
