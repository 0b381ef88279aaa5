"""postprocess with version_2_with_negative and rank_answers on hand-made logits:
the null score decides against the best span by the threshold."""

from __future__ import annotations

import datasets
import pyarrow as pa
import pytest

from extractive_qa.pipelines.inference.nodes import postprocess, rank_answers
from extractive_qa.records.shapes import EXAMPLE_FEATURES

LOW = -10.0
CONTEXT = "서울은 대한민국의 수도이다."
# [CLS] q [SEP] 서울 은 대한민국의 [SEP]; offsets null outside the context.
OFFSETS = [None, None, None, [0, 2], [2, 3], [4, 9], None]
POSTPROCESSING = {
    "n_best_size": 3,
    "max_answer_length": 5,
    "null_score_diff_threshold": 0.0,
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
                "answers": {"text": [], "answer_start": []},
            }
            for example_id in ("sure", "unsure")
        ],
        features=EXAMPLE_FEATURES,
    )


@pytest.fixture
def features() -> datasets.Dataset:
    return datasets.Dataset(
        pa.table(
            {
                "example_id": pa.array(["sure", "unsure", "unsure"]),
                "offset_mapping": pa.array(
                    [OFFSETS] * 3, pa.list_(pa.list_(pa.int32()))
                ),
            }
        )
    )


@pytest.fixture
def logits() -> datasets.Dataset:
    # sure: span 서울 scores 3 + 3 = 6, CLS 1 + 1 = 2 -> null odds -4.
    # unsure, window 1: 서울 scores 2 + 2 = 4, CLS 3 + 3 = 6;
    #         window 2: 대한민국의 scores 1 + 1 = 2, CLS 2.5 + 2.5 = 5.
    # Null score = min(6, 5) = 5, best span 4 -> null odds +1.
    starts = [
        [1.0, LOW, LOW, 3.0, LOW, LOW, LOW],
        [3.0, LOW, LOW, 2.0, LOW, LOW, LOW],
        [2.5, LOW, LOW, LOW, LOW, 1.0, LOW],
    ]
    return datasets.Dataset(
        pa.table(
            {
                "start_logits": pa.array(starts, pa.list_(pa.float32())),
                "end_logits": pa.array(starts, pa.list_(pa.float32())),
            }
        )
    )


def test_v1_always_answers_with_the_best_span(examples, features, logits) -> None:
    predictions = postprocess(examples, features, logits, POSTPROCESSING, False)
    assert predictions == {"sure": "서울", "unsure": "서울"}


def test_v2_answers_empty_when_the_null_score_wins(examples, features, logits) -> None:
    predictions = postprocess(
        examples, features, logits, POSTPROCESSING, version_2_with_negative=True
    )
    assert predictions == {"sure": "서울", "unsure": ""}


def test_the_threshold_moves_the_decision(examples, features, logits) -> None:
    # unsure has null odds +1: a threshold of 1.5 lets its span through,
    # one of -5 makes sure (null odds -4) empty as well.
    lenient = POSTPROCESSING | {"null_score_diff_threshold": 1.5}
    strict = POSTPROCESSING | {"null_score_diff_threshold": -5.0}
    assert postprocess(examples, features, logits, lenient, True) == {
        "sure": "서울",
        "unsure": "서울",
    }
    assert postprocess(examples, features, logits, strict, True) == {
        "sure": "",
        "unsure": "",
    }


def test_rank_answers_lists_nbest_and_null_odds(examples, features, logits) -> None:
    outputs = rank_answers(examples, features, logits, POSTPROCESSING, True)

    assert outputs["validation_null_odds"] == pytest.approx(
        {"sure": -4.0, "unsure": 1.0}
    )
    unsure = outputs["validation_nbest"]["unsure"]
    # The empty answer at the null score 5 leads, then 서울 at 4.
    leading = [
        (entry["text"], entry["char_start"], entry["char_end"], entry["score"])
        for entry in unsure[:2]
    ]
    assert leading == [("", None, None, 5.0), ("서울", 0, 2, 4.0)]
    assert len(unsure) == 3
    probabilities = [entry["probability"] for entry in unsure]
    assert sum(probabilities) == pytest.approx(1.0)
    assert probabilities == sorted(probabilities, reverse=True)


def test_v1_nbest_has_no_empty_answer_but_null_odds_are_written(
    examples, features, logits
) -> None:
    outputs = rank_answers(examples, features, logits, POSTPROCESSING, False)

    assert all(
        entry["text"]
        for entries in outputs["validation_nbest"].values()
        for entry in entries
    )
    assert outputs["validation_nbest"]["sure"][0]["text"] == "서울"
    assert outputs["validation_null_odds"]["unsure"] == pytest.approx(1.0)
