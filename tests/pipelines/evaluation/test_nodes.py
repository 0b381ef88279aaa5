"""SQuAD and KorQuAD EM/F1 on hand-written predictions, computed by hand."""

from __future__ import annotations

import datasets
import pytest

from extractive_qa.pipelines.evaluation.nodes import score
from extractive_qa.records.shapes import EXAMPLE_FEATURES

GOLD = {
    "exact": ("서울", "서울은 대한민국의 수도이다."),
    "particle": ("방배동", "그는 방배동의 작은 집에서 살았다."),
    "wrong": ("1932년", "김민수는 1932년에 부산에서 태어났다."),
    "partial": ("서울 특별시", "서울 특별시는 크다."),
}
PREDICTIONS = {
    "exact": "서울",
    "particle": "방배동의",
    "wrong": "부산",
    "partial": "서울",
}


@pytest.fixture
def validation_examples() -> datasets.Dataset:
    return datasets.Dataset.from_list(
        [
            {
                "id": example_id,
                "title": "",
                "context": context,
                "question": "?",
                "answers": {"text": [answer], "answer_start": [context.index(answer)]},
            }
            for example_id, (answer, context) in GOLD.items()
        ],
        features=EXAMPLE_FEATURES,
    )


def test_scores_match_hand_computed_values(validation_examples):
    report = score(validation_examples, PREDICTIONS, None, False)

    # exact: 1 everywhere. wrong: 0 everywhere.
    # particle: EM 0; SQuAD F1 0 ("방배동의" and "방배동" share no word);
    #   KorQuAD F1 over characters: P 3/4, R 3/3 -> 6/7.
    # partial: EM 0; SQuAD F1 over words: P 1/1, R 1/2 -> 2/3;
    #   KorQuAD F1 over characters (spaces ignored): P 2/2, R 2/5 -> 4/7.
    squad_f1 = (1 + 0 + 0 + 2 / 3) / 4
    korquad_f1 = (1 + 6 / 7 + 0 + 4 / 7) / 4
    assert report == {
        "n_examples": 4,
        "squad": {"exact_match": 25.0, "f1": round(100 * squad_f1, 4)},
        "korquad": {"exact_match": 25.0, "f1": round(100 * korquad_f1, 4)},
    }
    assert report["squad"]["f1"] == 41.6667
    assert report["korquad"]["f1"] == 60.7143


def test_any_gold_answer_counts(validation_examples):
    examples = validation_examples.map(
        lambda example: (
            {
                "answers": {
                    "text": example["answers"]["text"] + ["방배동의"],
                    "answer_start": example["answers"]["answer_start"] * 2,
                }
            }
            if example["id"] == "particle"
            else {}
        )
    )

    report = score(examples, PREDICTIONS, None, False)

    assert report["squad"]["exact_match"] == 50.0
    assert report["korquad"]["exact_match"] == 50.0


def test_extra_predictions_are_ignored(validation_examples):
    report = score(
        validation_examples, PREDICTIONS | {"unknown-id": "서울"}, None, False
    )

    assert report["n_examples"] == 4
    assert report["squad"]["exact_match"] == 25.0


def test_missing_prediction_is_an_error(validation_examples):
    predictions = {k: v for k, v in PREDICTIONS.items() if k != "wrong"}

    with pytest.raises(ValueError, match="no answer for 1 examples") as error:
        score(validation_examples, predictions, None, False)

    assert "wrong" in str(error.value)
    assert "postprocess" in str(error.value)
