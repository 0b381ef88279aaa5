"""SQuAD v2 figures on hand-computed cases; the arithmetic is written out inline."""

import pytest

from extractive_qa import metrics
from extractive_qa.metrics.scoring import (
    korquad_exact_match,
    korquad_f1,
    normalize_korquad_answer,
    normalize_squad_answer,
    squad_exact_match,
    squad_f1,
)
from extractive_qa.metrics.scoring_v2 import score_with_no_answer


def _prediction(question_id: str, text: str, no_answer: float = 0.0) -> dict:
    return {
        "id": question_id,
        "prediction_text": text,
        "no_answer_probability": no_answer,
    }


def _reference(question_id: str, *golds: str) -> dict:
    return {
        "id": question_id,
        "answers": {"text": list(golds), "answer_start": [0] * len(golds)},
    }


# q1 right; q2 half right; q3 correctly unanswered; q4 answered though
# unanswerable; q5 unanswered though answerable.
PREDICTIONS = [
    _prediction("q1", "the cat", 0.1),
    _prediction("q2", "dog", 0.2),
    _prediction("q3", "", 0.9),
    _prediction("q4", "fish", 0.3),
    _prediction("q5", "", 0.8),
]
REFERENCES = [
    _reference("q1", "cat"),
    _reference("q2", "black dog"),
    _reference("q3"),
    _reference("q4"),
    _reference("q5", "blue"),
]
# Per question EM: 1, 0, 1, 0, 0; F1: 1, 2/3 (P 1, R 1/2), 1, 0, 0.
# best_*: start with every question unanswered (2 of 5 right: q3, q4), then
# answer in rising no-answer score: q1 (0.1) +1 -> 3; q2 (0.2) +0 EM / +2/3 F1;
# q4 (0.3) -1; q5 (0.8) +0; q3 (0.9) unanswered, +0. EM peaks at 3 after q1,
# F1 at 3 + 2/3 after q2.
EXPECTED = {
    "exact": 40.0,
    "f1": 100 * (8 / 3) / 5,
    "total": 5.0,
    "HasAns_exact": 100 / 3,
    "HasAns_f1": 100 * (5 / 3) / 3,
    "HasAns_total": 3.0,
    "NoAns_exact": 50.0,
    "NoAns_f1": 50.0,
    "NoAns_total": 2.0,
    "best_exact": 60.0,
    "best_exact_thresh": 0.1,
    "best_f1": 100 * (11 / 3) / 5,
    "best_f1_thresh": 0.2,
}


def test_hand_computed_squad_v2_figures() -> None:
    result = score_with_no_answer(
        PREDICTIONS, REFERENCES, normalize_squad_answer, squad_exact_match, squad_f1
    )
    assert result == pytest.approx(EXPECTED)


def test_evaluate_module_gives_the_same_figures() -> None:
    module = metrics.load("squad_v2", keep_in_memory=True)
    result = module.compute(predictions=PREDICTIONS, references=REFERENCES)
    assert result == pytest.approx(EXPECTED)
    assert "squad_v2" in metrics.available_metrics()


def test_korquad_rules_give_particles_partial_credit() -> None:
    predictions = [_prediction("q1", "방배동의"), _prediction("q2", "")]
    references = [_reference("q1", "방배동"), _reference("q2")]
    module = metrics.load("squad_v2", config_name="korquad", keep_in_memory=True)

    result = module.compute(predictions=predictions, references=references)

    # q1: character F1 6/7 (P 3/4, R 1), EM 0; q2: empty for empty, 1 and 1.
    assert result["exact"] == pytest.approx(50.0)
    assert result["f1"] == pytest.approx(100 * (6 / 7 + 1) / 2)
    assert result["HasAns_f1"] == pytest.approx(100 * 6 / 7)
    assert result["NoAns_exact"] == 100.0
    direct = score_with_no_answer(
        predictions,
        references,
        normalize_korquad_answer,
        korquad_exact_match,
        korquad_f1,
    )
    assert result == pytest.approx(direct)


def test_gold_answers_that_normalise_to_nothing_expect_the_empty_answer() -> None:
    # "the" and "." normalise to "" under the SQuAD rules. As in the official
    # script the questions stay answerable, and the empty prediction is right.
    result = score_with_no_answer(
        [_prediction("q1", ""), _prediction("q2", "a")],
        [_reference("q1", "the"), _reference("q2", ".")],
        normalize_squad_answer,
        squad_exact_match,
        squad_f1,
    )
    assert result["HasAns_total"] == 2.0
    assert result["NoAns_total"] == 0.0
    # "a" normalises to "" as well: right too, for EM and F1.
    assert result["exact"] == result["f1"] == 100.0


def test_the_threshold_search_counts_any_non_empty_prediction_as_an_answer():
    # q2 has no answer; its prediction "." normalises to "", so it scores as
    # right, yet the search counts it as answered, as the official script does.
    result = score_with_no_answer(
        [
            _prediction("q1", "", no_answer=0.1),
            _prediction("q2", ".", no_answer=0.2),
            _prediction("q3", "cat", no_answer=0.3),
        ],
        [_reference("q1", "."), _reference("q2"), _reference("q3", "cat")],
        normalize_squad_answer,
        squad_exact_match,
        squad_f1,
    )
    assert result["exact"] == 100.0
    # Start at 1 (q2 unanswered); answering q1 gives 2, q2 then costs 1, q3
    # gives 2 again: the best is 2 of 3, first reached at q1's score.
    assert result["best_exact"] == pytest.approx(200 / 3)
    assert result["best_exact_thresh"] == 0.1


def test_all_answerable_is_squad_v1_with_empty_prediction_wrong() -> None:
    predictions = [_prediction("q1", "cat"), _prediction("q2", "")]
    references = [_reference("q1", "cat"), _reference("q2", "dog")]
    result = score_with_no_answer(
        predictions, references, normalize_squad_answer, squad_exact_match, squad_f1
    )
    assert result["exact"] == result["HasAns_exact"] == 50.0
    assert result["NoAns_total"] == 0.0


def test_ids_must_match() -> None:
    with pytest.raises(ValueError, match="'q2' has no prediction"):
        score_with_no_answer(
            [_prediction("q1", "")],
            [_reference("q1"), _reference("q2")],
            normalize_squad_answer,
            squad_exact_match,
            squad_f1,
        )
    with pytest.raises(ValueError, match="'stray'"):
        score_with_no_answer(
            [_prediction("q1", ""), _prediction("stray", "")],
            [_reference("q1")],
            normalize_squad_answer,
            squad_exact_match,
            squad_f1,
        )
