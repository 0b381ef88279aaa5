"""The local evaluate modules load offline and agree with scoring.py."""

from pathlib import Path

import evaluate
import pytest

from extractive_qa import metrics
from extractive_qa.metrics.scoring import (
    korquad_exact_match,
    korquad_f1,
    score_predictions,
    squad_exact_match,
    squad_f1,
)

PREDICTIONS = [
    {"id": "q1", "prediction_text": "방배동의"},
    {"id": "q2", "prediction_text": "토지"},
    {"id": "q3", "prediction_text": "the cat"},
    {"id": "q4", "prediction_text": ""},
]
REFERENCES = [
    {"id": "q1", "answers": {"text": ["방배동"], "answer_start": [10]}},
    {"id": "q2", "answers": {"text": ["《토지》", "토지"], "answer_start": [3, 4]}},
    {"id": "q3", "answers": {"text": ["cat"], "answer_start": [0]}},
    {"id": "q4", "answers": {"text": ["서울"], "answer_start": [7]}},
]


def test_available_metrics_are_the_script_folders() -> None:
    assert {"squad", "korquad"} <= set(metrics.available_metrics())


def test_squad_module_matches_scoring_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A foreign working directory proves the module path does not depend on cwd.
    monkeypatch.chdir(tmp_path)
    squad = metrics.load("squad")
    assert isinstance(squad, evaluate.EvaluationModule)

    scores = squad.compute(predictions=PREDICTIONS, references=REFERENCES)

    expected = score_predictions(PREDICTIONS, REFERENCES, squad_exact_match, squad_f1)
    assert scores == pytest.approx(expected)
    # q2 and q3 match exactly; nothing else shares a token: 2 of 4.
    assert scores == pytest.approx({"exact_match": 50.0, "f1": 50.0})


def test_korquad_module_matches_scoring_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    korquad = metrics.load("korquad")

    scores = korquad.compute(predictions=PREDICTIONS, references=REFERENCES)

    expected = score_predictions(
        PREDICTIONS, REFERENCES, korquad_exact_match, korquad_f1
    )
    assert scores == pytest.approx(expected)
    # KorQuAD keeps articles: "the cat" vs "cat" is P = 3/6, R = 1 -> F1 = 2/3.
    # EM: q2 only. F1: 6/7 + 1 + 2/3 + 0 over 4 = 53/84.
    assert scores == pytest.approx({"exact_match": 25.0, "f1": 100 * 53 / 84})


def test_module_reports_a_mismatched_id() -> None:
    # evaluate itself rejects unequal counts; equal counts reach our id check.
    korquad = metrics.load("korquad", keep_in_memory=True)
    stray = [*PREDICTIONS[:3], {"id": "q5", "prediction_text": "서울"}]
    with pytest.raises(ValueError, match="'q4' has no prediction"):
        korquad.compute(predictions=stray, references=REFERENCES)


def test_unknown_metric_lists_the_available_ones() -> None:
    with pytest.raises(ValueError, match="'nope'.*korquad.*squad"):
        metrics.load("nope")
