"""New questions are answered exactly as evaluation answers validation examples:
same windows, same logits, same best span."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import datasets
import pandas as pd
import pytest
import yaml
from kedro.io import AbstractDataset

from extractive_qa.pipelines.answer.nodes import ANSWER_COLUMNS, answer
from extractive_qa.pipelines.features.nodes import tokenize_validation
from extractive_qa.pipelines.inference.nodes import postprocess, predict, rank_answers
from extractive_qa.qa.answer_settings import AnswerSettings
from extractive_qa.qa.answering import to_question_dataset
from extractive_qa.qa_model import QAModel
from extractive_qa.records.shapes import EXAMPLE_FEATURES

REPO = Path(__file__).resolve().parents[3]

# Windows must fit the tiny model's 64 positions; the long context needs three.
TOKENIZATION = {
    "max_length": 32,
    "doc_stride": 8,
    "max_query_length": 16,
    "chunk_size": 1000,
}
INFERENCE = {"batch_size": 2, "device": "cpu"}
POSTPROCESSING = {
    "n_best_size": 5,
    "max_answer_length": 10,
    "null_score_diff_threshold": 0.0,
}

QUESTIONS = pd.DataFrame(
    {
        "id": ["short", "long"],
        "question": ["대한민국의 수도는 어디인가?", "김민수는 어디에서 태어났는가?"],
        "context": [
            "서울은 대한민국의 수도이다.",
            "그는 1950년에 서울로 이사하여 대학에서 20년 동안 일했다. "
            "서울은 대한민국의 수도이다. 이영희는 광주에서 소설 세 권을 썼다. "
            "김민수는 1932년에 부산에서 태어났다.",
        ],
    }
)


@pytest.fixture
def qa_model(korean_tokenizer, tiny_qa_model) -> QAModel:
    return QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)


@pytest.mark.parametrize(
    ("version_2_with_negative", "threshold"),
    [(False, 0.0), (True, 0.0), (True, -1e9)],
)
def test_answers_match_the_evaluation_path(
    qa_model, version_2_with_negative, threshold
):
    postprocessing = POSTPROCESSING | {"null_score_diff_threshold": threshold}
    answers = answer(
        QUESTIONS,
        qa_model,
        TOKENIZATION,
        INFERENCE,
        postprocessing,
        version_2_with_negative,
    )
    examples = datasets.Dataset.from_list(
        [
            {
                "id": row.id,
                "title": "",
                "context": row.context,
                "question": row.question,
                "answers": {"text": [], "answer_start": []},
            }
            for row in QUESTIONS.itertuples()
        ],
        features=EXAMPLE_FEATURES,
    )
    features = tokenize_validation(examples, qa_model.tokenizer, TOKENIZATION)
    assert features["example_id"].count("long") >= 2, "the long context must overflow"
    logits = predict(features, qa_model, INFERENCE)
    predictions = postprocess(
        examples, features, logits, postprocessing, version_2_with_negative
    )

    assert list(answers.columns) == list(ANSWER_COLUMNS)
    assert list(answers["id"]) == ["short", "long"]
    assert dict(zip(answers["id"], answers["answer"], strict=True)) == predictions
    # The probability is the one rank_answers gives the same answer.
    ranked = rank_answers(
        examples, features, logits, postprocessing, version_2_with_negative
    )
    probabilities = dict(zip(answers["id"], answers["probability"], strict=True))
    assert probabilities == pytest.approx(ranked["validation_probabilities"])
    assert all(0.0 < p <= 1.0 for p in probabilities.values())
    if threshold < -1e6:
        # SQuAD v2 with the null always winning: no question is answered.
        assert set(answers["answer"]) == {""}
        assert set(answers["answer_start"]) == {-1}
        return
    for row, context in zip(answers.itertuples(), QUESTIONS["context"], strict=True):
        assert row.answer == context[row.answer_start : row.answer_end]
        assert row.answer and isinstance(row.score, float)


def test_rows_are_numbered_when_the_table_has_no_ids():
    questions = to_question_dataset(QUESTIONS.drop(columns="id"))
    assert questions["id"] == ["1", "2"]
    assert questions["question"] == list(QUESTIONS["question"])


def test_a_row_without_an_id_is_numbered_and_whole_number_ids_stay_whole():
    # JSON Lines {"id": 7, ...} then a line without an id: pandas reads the
    # column as 7.0 and NaN.
    rows = QUESTIONS.drop(columns="id").to_dict("records")
    rows[0]["id"] = 7
    assert to_question_dataset(pd.DataFrame(rows))["id"] == ["7", "2"]


def test_ids_read_through_the_catalog_entry_keep_their_text(tmp_path):
    """The questions entry of conf/base/catalog.yml: 7 beside a row without an
    id stays 7, and "007" keeps its zeros."""
    entry = yaml.safe_load((REPO / "conf/base/catalog.yml").read_text())["questions"]
    lines = tmp_path / "questions.jsonl"
    rows = QUESTIONS.drop(columns="id").to_dict("records")
    rows = [{"id": 7, **rows[0]}, rows[1], {"id": "007", **rows[0]}]
    lines.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows))
    dataset = AbstractDataset.from_config("questions", entry | {"filepath": str(lines)})
    table = dataset.load()

    assert to_question_dataset(table)["id"] == ["7", "2", "007"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (QUESTIONS.drop(columns="context"), r"missing \['context'\]"),
        (QUESTIONS.assign(id=["a", "a"]), r"ids must be unique; repeated: \['a'\]"),
        (QUESTIONS.assign(id=[2, None]), r"ids must be unique; repeated: \['2'\]"),
        (
            QUESTIONS.assign(id=[[1, 2], "b"]),
            r"row 1 has the id \[1, 2\]; an id is text or a whole number",
        ),
        (QUESTIONS.iloc[:0], r"the table has no rows"),
        (
            QUESTIONS.assign(question=["", "무엇인가?"]),
            r"empty or non-text 'question' \(ids \['short'\]\)",
        ),
        (
            QUESTIONS.assign(context=["서울", "\u200b \u200b"]),
            r"empty or non-text 'context' \(ids \['long'\]\)",
        ),
    ],
)
def test_bad_question_tables_say_what_to_fix(table, message):
    with pytest.raises(ValueError, match=message):
        to_question_dataset(table)


def test_saved_settings_win_over_the_run_parameters_but_for_the_null_threshold(
    qa_model, caplog
):
    """A model saved in SQuAD v2 mode is decoded in v2 mode though the run's
    parameters say v1; the null threshold is the run's, tuned after training,
    as postprocess uses it."""
    saved = AnswerSettings.from_params(
        TOKENIZATION, POSTPROCESSING, version_2_with_negative=True
    )
    v2_model = replace(qa_model, settings=saved.saved())

    def answered(threshold: float) -> pd.DataFrame:
        postprocessing = POSTPROCESSING | {"null_score_diff_threshold": threshold}
        return answer(
            QUESTIONS, v2_model, TOKENIZATION, INFERENCE, postprocessing, False
        )

    with caplog.at_level(logging.INFO, logger="extractive_qa.qa"):
        # The null always wins: v2 mode, with the run's threshold.
        unanswered = answered(-1e9)
    answered_all = answered(1e9)

    assert set(unanswered["answer"]) == {""}
    assert all(answered_all["answer"])
    assert "answering with the settings saved in fine_tuned_model" in caplog.text


def test_a_model_without_saved_settings_uses_the_run_parameters_and_warns(
    qa_model, caplog
):
    assert qa_model.settings is None
    with caplog.at_level(logging.WARNING, logger="extractive_qa.qa"):
        answers = answer(
            QUESTIONS, qa_model, TOKENIZATION, INFERENCE, POSTPROCESSING, False
        )

    assert all(answers["answer"])
    assert "fine_tuned_model holds no qa_settings.json" in caplog.text
