"""Questions longer than max_query_length are cut, counted and reported."""

from __future__ import annotations

import logging

import datasets

from extractive_qa.pipelines.features.nodes import tokenize_train, tokenize_validation
from extractive_qa.qa.windows import WindowSettings, tokenize_windows
from extractive_qa.records.shapes import EXAMPLE_FEATURES

TOKENIZATION = {
    "max_length": 48,
    "doc_stride": 8,
    "max_query_length": 12,
    "chunk_size": 1000,
}
CONTEXT = "김민수는 1932년에 부산에서 태어났다."
SHORT = "김민수는 어디에서 태어났는가?"
LONG = " ".join(["김민수는 1950년에 서울로 이사하여 대학에서 일했다."] * 4) + " 어디?"


def examples() -> datasets.Dataset:
    return datasets.Dataset.from_list(
        [
            {
                "id": qid,
                "title": "",
                "context": CONTEXT,
                "question": question,
                "answers": {"text": ["부산"], "answer_start": [12]},
            }
            for qid, question in (("short", SHORT), ("long", LONG))
        ],
        features=EXAMPLE_FEATURES,
    )


def test_count_matches_the_token_lengths(korean_tokenizer):
    lengths = [
        len(korean_tokenizer(q, add_special_tokens=False)["input_ids"])
        for q in (SHORT, LONG)
    ]
    assert lengths[0] <= 12 < lengths[1]

    contexts = ["부산은 항구 도시이다."] * 2

    def cut(limit: int) -> int:
        settings = WindowSettings(max_length=64, doc_stride=8, max_query_length=limit)
        windows = tokenize_windows(korean_tokenizer, [SHORT, LONG], contexts, settings)
        return windows.cut_questions

    assert cut(12) == 1
    assert cut(lengths[1]) == 0


def test_tokenizing_reports_the_cut_questions_and_keeps_context(
    korean_tokenizer, caplog
):
    with caplog.at_level(logging.INFO):
        train = tokenize_train(examples(), korean_tokenizer, TOKENIZATION)
        validation = tokenize_validation(examples(), korean_tokenizer, TOKENIZATION)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        "train_examples: 1 of 2 questions are longer than max_query_length "
        "(12 tokens) and were cut to it" in warnings[0]
    )
    assert warnings[1].startswith("validation_examples: 1 of 2 questions")
    # Every window of the long question still holds context tokens after the
    # cut question (question + 3 special tokens leave room).
    long_windows = [
        ids
        for ids, eid in zip(
            validation["input_ids"], validation["example_id"], strict=True
        )
        if eid == "long"
    ]
    assert long_windows and all(len(ids) > 12 + 3 for ids in long_windows)
    assert len(train) >= 2
