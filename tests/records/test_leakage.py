"""Questions in both training and validation data are counted in both
reports and handled by on_leak: warn, error or drop_from_train."""

from __future__ import annotations

import logging

import pytest

from extractive_qa.records import load_splits
from extractive_qa.records.checks import EmptySplitError
from extractive_qa.records.leakage import LeakageError

CONTEXT = "김민수는 1932년에 부산에서 태어났다."


def qa(qid: str, question: str, text: str = "부산", start: int = 12) -> dict:
    return {
        "id": qid,
        "question": question,
        "answers": [{"text": text, "answer_start": start}],
    }


def document(*qas: dict) -> dict:
    return {
        "data": [{"title": "t", "paragraphs": [{"context": CONTEXT, "qas": list(qas)}]}]
    }


TRAIN = document(
    qa("t1", "어디에서 태어났는가?"),
    qa("shared", "언제 태어났는가?", "1932년", 5),  # same id as validation
    qa("t3", "  태어난 곳은?  "),  # same question and context, other id
    qa("t4", "출생지는?"),
)
VALIDATION = document(
    qa("shared", "그는 언제 태어났는가?", "1932년", 5),
    qa("v2", "태어난 곳은?"),
)


def test_warn_counts_both_kinds_in_both_reports_and_keeps_training(caplog):
    with caplog.at_level(logging.WARNING):
        outputs = load_splits(
            TRAIN, VALIDATION, "error", "warn", version_2_with_negative=False
        )

    leakage = {
        "same_id": 1,
        "same_question_and_context": 1,
        "on_leak": "warn",
        "dropped_from_train": 0,
    }
    assert outputs["train_data_quality"]["leakage"] == leakage
    assert outputs["validation_data_quality"]["leakage"] == leakage
    assert len(outputs["train_examples"]) == 4
    assert "2 training records also occur in validation" in caplog.text
    assert "training ids: 'shared', 't3'" in caplog.text


def test_error_stops_naming_the_records_and_the_setting():
    with pytest.raises(LeakageError) as error:
        load_splits(TRAIN, VALIDATION, "error", "error", version_2_with_negative=False)

    message = str(error.value)
    assert message.startswith(
        "2 training records also occur in validation (1 with the same id, 1 with "
        "the same question and context); training ids: 'shared', 't3'."
    )
    assert "data_loading.on_leak: drop_from_train" in message


def test_drop_from_train_removes_them_and_counts_them():
    outputs = load_splits(
        TRAIN, VALIDATION, "error", "drop_from_train", version_2_with_negative=False
    )

    assert outputs["train_examples"]["id"] == ["t1", "t4"]
    report = outputs["train_data_quality"]
    assert (report["checked"], report["kept"], report["dropped"]) == (4, 2, 2)
    assert report["dropped_by_reason"] == {"also in validation": 2}
    assert report["leakage"]["dropped_from_train"] == 2
    assert len(outputs["validation_examples"]) == 2


def test_drop_from_train_that_empties_training_is_an_error():
    with pytest.raises(EmptySplitError, match="raw_train: no record is left"):
        load_splits(
            VALIDATION,
            VALIDATION,
            "error",
            "drop_from_train",
            version_2_with_negative=False,
        )
