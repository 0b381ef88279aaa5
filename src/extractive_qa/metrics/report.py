"""The metrics report of a set of predictions: SQuAD and official KorQuAD 1.0
figures, or SQuAD v2 ones when questions may have no answer."""

from __future__ import annotations

import logging
from typing import Any

import datasets

from extractive_qa import metrics
from extractive_qa.gc_pause import collector_paused_during

logger = logging.getLogger(__name__)


def _rounded(result: dict[str, Any]) -> dict[str, float]:
    return {key: round(float(value), 4) for key, value in result.items()}


def _score_v2(
    predictions: list[dict],
    references: list[dict],
    null_odds: dict[str, float | None],
) -> dict[str, Any]:
    """squad_v2 (token rules) and korquad_v2 (character rules) figures."""
    missing = [record["id"] for record in predictions if record["id"] not in null_odds]
    if missing:
        raise ValueError(
            f"validation_null_odds has no entry for {len(missing)} examples (first: "
            f"{missing[:5]}); rerun `kedro run --nodes=rank_answers`."
        )
    # No valid span at all: as sure of "no answer" as can be.
    with_odds = [
        record
        | {
            "no_answer_probability": float("inf")
            if null_odds[record["id"]] is None
            else null_odds[record["id"]]
        }
        for record in predictions
    ]
    report = {}
    for name, config in (("squad_v2", "squad"), ("korquad_v2", "korquad")):
        result = metrics.load("squad_v2", config_name=config).compute(
            predictions=with_odds, references=references
        )
        report[name] = _rounded(result)
        logger.info(
            "%s: EM %.2f, F1 %.2f (answerable F1 %.2f, unanswerable F1 %.2f)",
            name,
            result["exact"],
            result["f1"],
            result["HasAns_f1"],
            result["NoAns_f1"],
        )
    return report


@collector_paused_during
def score_answers(
    validation_examples: datasets.Dataset,
    validation_predictions: dict[str, str],
    validation_null_odds: dict[str, float | None] | None,
    version_2_with_negative: bool,
) -> dict[str, Any]:
    """Gold answers + predicted answers -> EM/F1 (percent): SQuAD and KorQuAD 1.0,
    or with ``version_2_with_negative`` SQuAD v2 figures under both rules."""
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
    if version_2_with_negative:
        return report | _score_v2(predictions, references, validation_null_odds or {})
    for name in ("squad", "korquad"):
        result = metrics.load(name).compute(
            predictions=predictions, references=references
        )
        report[name] = _rounded(result)
        logger.info("%s: EM %.2f, F1 %.2f", name, result["exact_match"], result["f1"])
    return report
