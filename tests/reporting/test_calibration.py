"""The reliability table on hand-written scores, each bin worked out inline."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from extractive_qa.reporting.calibration import RELIABILITY_COLUMNS, reliability_table

EDGES = {"probability_edges": [0.0, 0.5, 0.9, 1.0]}
SCORES = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e", "f"],
        "exact_match": [0.0, 100.0, 0.0, 100.0, 100.0, 100.0],
        "f1": [0.0, 100.0, 50.0, 100.0, 100.0, 100.0],
    }
)
PROBABILITIES = {"a": 0.2, "b": 0.4, "c": 0.6, "d": 0.8, "e": 0.95, "f": 1.0}


def test_questions_fall_in_their_bins_and_the_last_row_is_the_calibration_error():
    table = reliability_table(SCORES, PROBABILITIES, EDGES)

    assert list(table.columns) == list(RELIABILITY_COLUMNS)
    assert list(table["probability_bin"]) == [
        "[0, 0.5)",
        "[0.5, 0.9)",
        "[0.9, 1]",
        "all",
    ]
    assert list(table["questions"]) == [2, 2, 2, 6]
    assert list(table["mean_probability"]) == pytest.approx([0.3, 0.7, 0.975, 0.6583])
    assert list(table["exact_match"]) == [50.0, 50.0, 100.0, 66.67]
    assert list(table["f1"]) == [50.0, 75.0, 100.0, 75.0]
    # Per bin |mean probability - exact-match rate|; the weighted mean of those.
    assert list(table["gap"][:3]) == pytest.approx([0.2, 0.2, 0.025])
    assert table["gap"].iloc[-1] == round((2 * 0.2 + 2 * 0.2 + 2 * 0.025) / 6, 4)


def test_an_edge_opens_its_bin_and_empty_bins_are_listed():
    table = reliability_table(
        SCORES.iloc[:1], {"a": 0.5}, {"probability_edges": [0.0, 0.5, 1.0]}
    )

    assert list(table["questions"]) == [0, 1, 1]
    assert math.isnan(table["mean_probability"].iloc[0])


def test_questions_without_a_probability_are_left_out_and_counted(caplog):
    table = reliability_table(SCORES, PROBABILITIES | {"a": None}, EDGES)

    assert table["questions"].iloc[-1] == 5
    assert "1 questions have no answer probability" in caplog.text


@pytest.mark.parametrize(
    ("probabilities", "edges", "message"),
    [
        ({"a": 0.2}, EDGES, r"no entry for 5 scored questions .*rank_answers"),
        (PROBABILITIES, {"probability_edges": [0.0, 0.9]}, "from 0.0 to 1.0"),
        (PROBABILITIES, {"probability_edges": [0.0, 0.5, 0.5, 1.0]}, "must rise"),
    ],
)
def test_bad_inputs_say_what_to_fix(probabilities, edges, message):
    with pytest.raises(ValueError, match=message):
        reliability_table(SCORES, probabilities, edges)
