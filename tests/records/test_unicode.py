"""Texts in decomposed Hangul or with zero-width characters are brought to one
form, with every answer start carried over and the records counted."""

from __future__ import annotations

import copy
import logging
import unicodedata

from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.records import check_split
from extractive_qa.records.text import clean_start, clean_text

ZWSP = "\u200b"


def _paragraphs(document: dict):
    for article in document["data"]:
        yield from article["paragraphs"]


def nfd_contexts(document: dict) -> dict:
    """Contexts decomposed (as files written on macOS often are), answers and
    their starts left as they were: in composed characters."""
    document = copy.deepcopy(document)
    for paragraph in _paragraphs(document):
        paragraph["context"] = unicodedata.normalize("NFD", paragraph["context"])
    return document


def all_nfd(document: dict) -> dict:
    """Every text decomposed, starts counted in decomposed characters."""
    document = copy.deepcopy(document)
    for paragraph in _paragraphs(document):
        context = paragraph["context"]
        for qa in paragraph["qas"]:
            for answer in qa["answers"]:
                start = answer["answer_start"]
                answer["answer_start"] = len(
                    unicodedata.normalize("NFD", context[:start])
                )
                answer["text"] = unicodedata.normalize("NFD", answer["text"])
            qa["question"] = unicodedata.normalize("NFD", qa["question"])
        paragraph["context"] = unicodedata.normalize("NFD", context)
    return document


def test_nfd_contexts_with_nfc_answers_all_pass_and_are_counted(caplog):
    source = generate_korquad(split="validation", n_questions=203, seed=13)

    with caplog.at_level(logging.INFO, logger="extractive_qa.records.checks"):
        examples, report = check_split(nfd_contexts(source), "raw_validation", "error")

    expected, _ = check_split(source, "raw_validation", "error")
    assert examples.to_list() == expected.to_list()
    assert report["normalised_records"] == len(examples) > 200
    assert report["dropped"] == 0
    # The starts count composed characters, as the answers are written; they
    # are read that way, so none had to be searched for.
    assert report["repaired_answer_starts"] == 0
    assert f"brought {len(examples)} records to Unicode NFC" in caplog.text


def test_starts_counted_in_decomposed_characters_are_carried_over_exactly():
    source = generate_korquad(split="validation", n_questions=60, seed=5)

    examples, report = check_split(all_nfd(source), "raw_validation", "error")

    expected, _ = check_split(source, "raw_validation", "error")
    assert examples.to_list() == expected.to_list()
    assert report["normalised_records"] == len(examples)
    assert report["repaired_answer_starts"] == 0


def test_zero_width_characters_go_from_context_question_and_answer_alike():
    context = f"김민수는 1932년에 부{ZWSP}산에서 태어났다."
    raw = {
        "data": [
            {
                "title": "김민수",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "q1",
                                "question": f"어디에서{ZWSP} 태어났는가?",
                                "answers": [
                                    {"text": f"부{ZWSP}산", "answer_start": 12}
                                ],
                            },
                            {
                                "id": "q2",
                                "question": "언제 태어났는가?",
                                "answers": [{"text": "1932년", "answer_start": 5}],
                            },
                        ],
                    }
                ],
            }
        ]
    }

    examples, report = check_split(raw, "raw_train", "error")

    first, second = examples.to_list()
    assert first["context"] == "김민수는 1932년에 부산에서 태어났다."
    assert first["question"] == "어디에서 태어났는가?"
    assert first["answers"] == {"text": ["부산"], "answer_start": [12]}
    assert second["answers"] == {"text": ["1932년"], "answer_start": [5]}
    assert report["normalised_records"] == 2
    assert report["repaired_answer_starts"] == 0


def test_clean_start_maps_positions_past_removed_characters():
    context = f"가{ZWSP}나다"
    assert clean_text(context) == "가나다"
    assert clean_start(context, 2) == 1
    decomposed = unicodedata.normalize("NFD", "한국어 문장")
    assert clean_start(decomposed, decomposed.index(" ") + 1) == 4
