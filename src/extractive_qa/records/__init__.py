"""Raw SQuAD-format sources -> checked examples and data-quality reports."""

from __future__ import annotations

import logging
from typing import Any

import datasets

from extractive_qa.gc_pause import collector_paused_during
from extractive_qa.records.checks import require_records, validate_examples
from extractive_qa.records.leakage import handle_leaks
from extractive_qa.records.shapes import malformed_records_error, read_records

logger = logging.getLogger(__name__)

LEAK_REASON = "also in validation"


@collector_paused_during
def check_split(
    raw: Any, source: str, on_invalid: str, answers_required: bool = False
) -> tuple[datasets.Dataset, dict[str, Any]]:
    """One raw source -> its checked examples and data-quality report; with
    ``answers_required``, a question without answers is an invalid record."""
    examples, malformed = read_records(raw, source)
    if malformed and on_invalid == "error":
        total = len(examples) + len(malformed)
        raise malformed_records_error(source, malformed, total)
    return validate_examples(examples, source, on_invalid, malformed, answers_required)


def _warn_unanswerable(train: datasets.Dataset) -> None:
    """In SQuAD v1 mode, questions without answers train the model towards
    CLS (as in the reference recipe): allowed, but said."""
    unanswerable = sum(not answers["text"] for answers in train["answers"])
    if unanswerable:
        logger.warning(
            "raw_train: %d of %d questions have no answer; in SQuAD v1 mode "
            "(task.version_2_with_negative: false) they teach the model to point "
            "at CLS. Set it to true if the data has unanswerable questions.",
            unanswerable,
            len(train),
        )


def load_splits(
    raw_train: Any,
    raw_validation: Any,
    on_invalid: str,
    on_leak: str,
    *,
    version_2_with_negative: bool,
) -> dict[str, Any]:
    """Both raw sources -> ``{train,validation}_examples`` and
    ``{train,validation}_data_quality``; questions found in both splits are
    counted and handled by ``on_leak``. Without ``version_2_with_negative``
    every validation question needs an answer, since the v1 metrics score none
    without one."""
    train, train_report = check_split(raw_train, "raw_train", on_invalid)
    validation, validation_report = check_split(
        raw_validation,
        "raw_validation",
        on_invalid,
        answers_required=not version_2_with_negative,
    )
    if not version_2_with_negative:
        _warn_unanswerable(train)
    train, leakage = handle_leaks(train, validation, on_leak)
    for report in (train_report, validation_report):
        report["leakage"] = leakage
    if leakage["dropped_from_train"]:
        train_report["kept"] = len(train)
        train_report["dropped"] += leakage["dropped_from_train"]
        train_report["dropped_by_reason"][LEAK_REASON] = leakage["dropped_from_train"]
        require_records(train_report)
    logger.info(
        "loaded %d training and %d validation examples", len(train), len(validation)
    )
    return {
        "train_examples": train,
        "validation_examples": validation,
        "train_data_quality": train_report,
        "validation_data_quality": validation_report,
    }
