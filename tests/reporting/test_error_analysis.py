"""Error-analysis tables on hand-written examples, scores worked out inline."""

from __future__ import annotations

import datasets
import pandas as pd
import pytest

from extractive_qa.records.shapes import EXAMPLE_FEATURES
from extractive_qa.reporting.error_analysis import (
    bin_labels,
    break_down_errors,
    list_worst_questions,
    plot_training_curve,
    question_word,
    score_questions,
)

ERROR_ANALYSIS = {
    "n_worst": 2,
    "answer_length_edges": [1, 3, 5],
    "context_length_edges": [0, 20, 40],
    "window_count_edges": [1, 2],
}
CONTEXT = "그는 방배동의 작은 집에서 살았다."
LONG_CONTEXT = "김민수는 1932년에 부산에서 태어났다. " * 3
# id: (context, question, gold answers, prediction)
QUESTIONS = {
    "where": (CONTEXT, "그가 산 곳은 어디인가?", ["방배동"], "방배동의"),
    "who": (CONTEXT, "방배동에 산 사람은 누구인가?", ["그"], "그"),
    "when": (LONG_CONTEXT, "김민수는 언제 태어났는가?", ["1932년"], "부산"),
    "none": (CONTEXT, "그는 왜 이사했는가?", [], ""),
}


@pytest.fixture
def examples() -> datasets.Dataset:
    return datasets.Dataset.from_list(
        [
            {
                "id": example_id,
                "title": "",
                "context": context,
                "question": question,
                "answers": {
                    "text": golds,
                    "answer_start": [context.index(g) for g in golds],
                },
            }
            for example_id, (context, question, golds, _) in QUESTIONS.items()
        ],
        features=EXAMPLE_FEATURES,
    )


@pytest.fixture
def features() -> datasets.Dataset:
    # "when" has a long context cut into two windows.
    return datasets.Dataset.from_dict(
        {"example_id": ["where", "who", "when", "when", "none"]}
    )


@pytest.fixture
def scores(examples, features) -> pd.DataFrame:
    predictions = {key: value[3] for key, value in QUESTIONS.items()}
    return score_questions(examples, features, predictions)


def test_question_word_is_the_first_one_in_the_question() -> None:
    assert question_word("그가 태어난 곳은 어디인가?") == "어디"
    assert question_word("누가 어디에서 무엇을 했는가?") == "어디"
    assert question_word("몇 명이 왜 떠났는가?") == "몇"
    assert question_word("그 책의 제목은?") == "other"


def test_bin_labels_name_closed_ranges_and_an_open_last_bin() -> None:
    assert bin_labels([1, 3, 5, 9]) == ["1-2", "3-4", "5-8", "9+"]
    assert bin_labels([1, 2, 3]) == ["1", "2", "3+"]


def test_each_question_gets_korquad_scores_and_its_features(scores) -> None:
    rows = scores.set_index("id")
    # "방배동의" vs "방배동": EM 0, character F1 6/7.
    assert rows.loc["where", "exact_match"] == 0.0
    assert rows.loc["where", "f1"] == round(100 * 6 / 7, 2)
    assert rows.loc["who", "f1"] == 100.0
    assert rows.loc["when", "f1"] == 0.0
    # No gold answer and an empty prediction: right.
    assert rows.loc["none", "exact_match"] == 100.0
    assert rows.loc["none", "answer_length"] == 0
    assert rows.loc["none", "gold_answers"] == ""
    assert rows.loc["when", "windows"] == 2
    assert rows.loc["when", "context_length"] == len(LONG_CONTEXT)
    assert list(rows["question_word"]) == ["어디", "누구", "언제", "왜"]


def test_breakdown_averages_each_group(scores) -> None:
    table = break_down_errors(scores, ERROR_ANALYSIS)
    by = {
        (row.breakdown, row.group): (row.questions, row.exact_match, row.f1)
        for row in table.itertuples()
    }
    assert by[("question_word", "어디")] == (1, 0.0, round(100 * 6 / 7, 2))
    # Answer lengths: 그 (1) -> "1-2"; 방배동 (3) -> "3-4"; 1932년 (5) -> "5+".
    assert by[("answer_length", "1-2")] == (1, 100.0, 100.0)
    assert by[("answer_length", "3-4")][0] == 1
    assert by[("answer_length", "5+")] == (1, 0.0, 0.0)
    assert by[("answer_length", "no answer")] == (1, 100.0, 100.0)
    # Contexts of 19 characters ("0-19") and 75 ("40+").
    assert len(CONTEXT) == 19
    assert by[("context_length", "0-19")][0] == 3
    assert by[("context_length", "40+")] == (1, 0.0, 0.0)
    # Windows: three questions with one, one with two ("2+").
    f1_one_window = round((100 * 6 / 7 + 100 + 100) / 3, 2)
    assert by[("window_count", "1")] == (3, round(200 / 3, 2), f1_one_window)
    assert by[("window_count", "2+")] == (1, 0.0, 0.0)
    assert list(table.columns) == [
        "breakdown",
        "group",
        "questions",
        "exact_match",
        "f1",
    ]


def test_worst_questions_are_the_lowest_f1_first(scores) -> None:
    worst = list_worst_questions(scores, ERROR_ANALYSIS)
    assert list(worst["id"]) == ["when", "where"]
    assert list(worst.columns) == ["id", "question", "gold_answers", "prediction", "f1"]
    assert worst.loc[0, "gold_answers"] == "1932년"


def test_missing_prediction_names_the_example(examples, features) -> None:
    with pytest.raises(ValueError, match="'none'"):
        score_questions(examples, features, {"where": "", "who": "", "when": ""})


def test_training_curve_records_need_every_field() -> None:
    with pytest.raises(ValueError, match="eval_f1"):
        plot_training_curve([{"epoch": 1.0, "step": 5, "train_loss": 1.0}])
    with pytest.raises(ValueError, match="empty"):
        plot_training_curve([])
