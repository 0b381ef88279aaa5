"""score in SQuAD v2 mode on hand-written predictions, computed by hand."""

from __future__ import annotations

import datasets
import pytest

from extractive_qa.pipelines.evaluation.nodes import score
from extractive_qa.records.shapes import EXAMPLE_FEATURES

CONTEXT = "그는 방배동의 작은 집에서 살았고 서울에서 일했다."
# id: (gold answers, prediction, null odds)
CASES = {
    "a": (["방배동"], "방배동의", -3.0),
    "b": ([], "", 2.0),
    "c": ([], "서울", -1.0),
    "d": (["서울"], "", None),
}


@pytest.fixture
def examples() -> datasets.Dataset:
    return datasets.Dataset.from_list(
        [
            {
                "id": example_id,
                "title": "",
                "context": CONTEXT,
                "question": "?",
                "answers": {
                    "text": golds,
                    "answer_start": [CONTEXT.index(g) for g in golds],
                },
            }
            for example_id, (golds, _, _) in CASES.items()
        ],
        features=EXAMPLE_FEATURES,
    )


def test_v2_figures_under_squad_and_korquad_rules(examples) -> None:
    predictions = {key: value[1] for key, value in CASES.items()}
    null_odds = {key: value[2] for key, value in CASES.items()}

    report = score(examples, predictions, null_odds, version_2_with_negative=True)

    assert set(report) == {"n_examples", "squad_v2", "korquad_v2"}
    squad = report["squad_v2"]
    # Token rules: a 0 ("방배동의" is another word), b right, c wrong, d wrong.
    assert (squad["exact"], squad["f1"]) == (25.0, 25.0)
    assert (squad["HasAns_f1"], squad["NoAns_f1"]) == (0.0, 50.0)
    assert (squad["HasAns_total"], squad["NoAns_total"]) == (2.0, 2.0)
    # All unanswered scores 2 of 4; answering in rising null odds (a -3: +0,
    # c -1: -1, b 2: unanswered, d: no span) never beats that.
    assert (squad["best_exact"], squad["best_exact_thresh"]) == (50.0, 0.0)
    korquad = report["korquad_v2"]
    # Character rules: a earns 6/7.
    assert korquad["f1"] == round(100 * (6 / 7 + 1) / 4, 4)
    assert korquad["HasAns_f1"] == round(100 * (6 / 7) / 2, 4)
    # Answering a alone (threshold -3): 2 + 6/7 of 4.
    assert korquad["best_f1"] == round(100 * (2 + 6 / 7) / 4, 4)
    assert korquad["best_f1_thresh"] == -3.0


def test_v2_needs_null_odds_for_every_question(examples) -> None:
    predictions = {key: value[1] for key, value in CASES.items()}
    with pytest.raises(ValueError, match="rank_answers"):
        score(examples, predictions, {"a": 0.0}, version_2_with_negative=True)


def test_v1_rejects_unanswerable_gold_with_a_pointer_to_v2(examples) -> None:
    predictions = {key: value[1] for key, value in CASES.items()}
    with pytest.raises(ValueError, match="SQuAD v2"):
        score(examples, predictions, None, False)
