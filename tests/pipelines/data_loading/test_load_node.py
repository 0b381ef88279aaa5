"""Every record is checked: off starts are repaired, broken records stop the run
or are dropped, and each split gets a data-quality report."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from extractive_qa.pipelines.data_loading.nodes import load

ERROR = {"on_invalid": "error", "on_leak": "warn"}
V1 = {"version_2_with_negative": False}
SKIP = {"on_invalid": "skip", "on_leak": "warn"}
CONTEXT = "김민수는 1932년에 부산에서 태어났다. 그는 부산에서 일했다."


def qa(qid: str, question: str, text: str, start: int) -> dict:
    return {
        "id": qid,
        "question": question,
        "answers": [{"text": text, "answer_start": start}],
    }


GOOD = [
    qa("q-good", "김민수는 언제 태어났는가?", "1932년", 5),
    qa("q-born-where", "김민수는 어디에서 태어났는가?", "부산", 12),
]


def document(*qas: dict, context: str = CONTEXT) -> dict:
    return {
        "data": [
            {"title": "김민수", "paragraphs": [{"context": context, "qas": list(qas)}]}
        ]
    }


BROKEN = [
    qa("", "김민수는 어디에서 태어났는가?", "부산", 12),
    qa("q-good", "김민수는 언제 태어났는가?", "1932년", 5),
    qa("q-empty-question", "  ", "부산", 12),
    qa("q-not-in-context", "김민수는 누구인가?", "서울", 0),
    {
        "id": "q-lengths",
        "question": "김민수는 어디에서 일했는가?",
        "answers": [{"text": "부산", "answer_start": 12}],
    },
]


def test_off_start_is_moved_to_the_nearest_occurrence_and_counted():
    second = CONTEXT.index("부산", 13)
    assert (CONTEXT.index("부산"), second) == (12, 26)
    # A start of 23 is off, and nearer the second "부산" than the first.
    shifted = qa("q-work", "그는 어디에서 일했는가?", "부산", 23)

    outputs = load(document(*GOOD, shifted), document(*GOOD), ERROR, V1)

    examples = outputs["train_examples"]
    by_id = dict(zip(examples["id"], examples["answers"], strict=True))
    assert by_id["q-work"] == {"text": ["부산"], "answer_start": [second]}
    assert by_id["q-born-where"] == {"text": ["부산"], "answer_start": [12]}
    report = outputs["train_data_quality"]
    assert report == {
        "source": "raw_train",
        "checked": 3,
        "kept": 3,
        "repaired_answer_starts": 1,
        "normalised_records": 0,
        "dropped": 0,
        "dropped_by_reason": {},
        # Both splits hold the GOOD questions; on_leak: warn keeps them.
        "leakage": {
            "same_id": 2,
            "same_question_and_context": 2,
            "on_leak": "warn",
            "dropped_from_train": 0,
        },
    }
    assert outputs["validation_data_quality"]["repaired_answer_starts"] == 0


def broken_table() -> pd.DataFrame:
    rows = []
    for record in BROKEN:
        answers = record["answers"]
        rows.append(
            {
                "id": record["id"],
                "context": CONTEXT,
                "question": record["question"],
                "answers": {
                    "text": [a["text"] for a in answers],
                    "answer_start": [a["answer_start"] for a in answers],
                },
            }
        )
    # Two starts for one text.
    rows[-1]["answers"]["answer_start"] = [12, 26]
    rows.append(dict(rows[1]))  # a repeated id
    return pd.DataFrame(rows)


def test_error_names_how_many_failed_each_id_and_reason():
    with pytest.raises(ValueError) as error:
        load(document(*GOOD), broken_table(), ERROR, V1)

    message = str(error.value)
    assert message.startswith("raw_validation: 5 of 6 records failed validation")
    assert "record 0 (id ''): the id is empty" in message
    assert "(id 'q-empty-question'): the question is empty" in message
    assert "(id 'q-not-in-context'): answer '서울' does not occur" in message
    assert "(id 'q-lengths'): answers.text has 1 entries but" in message
    assert "record 5 (id 'q-good'): the id repeats record 1" in message
    assert "on_invalid: skip" in message


def test_error_lists_only_the_first_ten():
    many = [qa(f"q-{i}", "김민수는 누구인가?", "서울", 0) for i in range(12)]

    with pytest.raises(ValueError) as error:
        load(document(*many), document(*GOOD), ERROR, V1)

    message = str(error.value)
    assert "12 of 12 records failed" in message
    assert "'q-9'" in message and "'q-10'" not in message


def test_skip_drops_failed_records_and_reports_them_by_reason():
    outputs = load(document(*GOOD), broken_table(), SKIP, V1)

    assert outputs["validation_examples"]["id"] == ["q-good"]
    report = outputs["validation_data_quality"]
    assert report["checked"] == 6
    assert report["kept"] == 1
    assert report["dropped"] == 5
    assert report["dropped_by_reason"] == {
        "the id is empty": 1,
        "the question is empty": 1,
        "answer not in context": 1,
        "answers.text and answer_start differ in length": 1,
        "duplicate id": 1,
    }


def test_empty_context_fails_and_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="the context is empty"):
        load(document(*GOOD, context=" "), document(*GOOD), ERROR, V1)
    with pytest.raises(ValueError, match="on_invalid is 'ignore'"):
        load(document(*GOOD), document(*GOOD), {**ERROR, "on_invalid": "ignore"}, V1)


def test_input_document_is_not_modified_by_repairs():
    source = document(*GOOD, qa("q-work", "그는 어디에서 일했는가?", "부산", 23))
    before = copy.deepcopy(source)

    load(source, document(*GOOD), ERROR, V1)

    assert source == before


def test_v1_mode_refuses_validation_questions_without_answers_at_load(caplog):
    unanswerable = {"id": "q-none", "question": "김민수는 왜 떠났는가?", "answers": []}

    with pytest.raises(ValueError) as error:
        load(document(*GOOD), document(*GOOD, unanswerable), ERROR, V1)
    skipped = load(document(*GOOD), document(*GOOD, unanswerable), SKIP, V1)
    training = load(document(*GOOD, unanswerable), document(*GOOD), ERROR, V1)
    v2 = load(
        document(*GOOD),
        document(*GOOD, unanswerable),
        ERROR,
        {"version_2_with_negative": True},
    )

    message = str(error.value)
    assert message.startswith("raw_validation: 1 of 3 records failed validation")
    assert "record 2 (id 'q-none'): the question has no answer, but" in message
    assert "task.version_2_with_negative: true" in message
    assert skipped["validation_data_quality"]["dropped_by_reason"] == {
        "no answer, in SQuAD v1 mode": 1
    }
    # In training they are allowed, and counted in a warning.
    assert len(training["train_examples"]) == 3
    assert "raw_train: 1 of 3 questions have no answer" in caplog.text
    assert len(v2["validation_examples"]) == 3
