"""Texts in decomposed Hangul or with zero-width characters are brought to one
form, with every answer start carried over and the records counted."""

from __future__ import annotations

import copy
import logging
import random
import unicodedata

from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.records import check_split
from extractive_qa.records.text import clean_start, clean_text, clean_with_offsets

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


def qa(example_id: str, question: str, text: str, start: int) -> dict:
    return {
        "id": example_id,
        "question": question,
        "answers": [{"text": text, "answer_start": start}],
    }


def article(context: str, *qas: dict) -> dict:
    """One article of one paragraph, as SQuAD JSON nests it."""
    return {"title": "김민수", "paragraphs": [{"context": context, "qas": list(qas)}]}


def test_zero_width_characters_go_from_context_question_and_answer_alike():
    context = f"김민수는 1932년에 부{ZWSP}산에서 태어났다."
    raw = {
        "data": [
            article(
                context,
                qa("q1", f"어디에서{ZWSP} 태어났는가?", f"부{ZWSP}산", 12),
                qa("q2", "언제 태어났는가?", "1932년", 5),
            )
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


def test_no_break_and_ideographic_spaces_match_plain_ones():
    # Contexts copied from web pages hold no-break spaces, and Korean or
    # Japanese text ideographic ones, where the answer was typed with a plain
    # space (or the other way round).
    contexts = [
        "김민수는 대한민국\u00a0서울특별시에서 태어났다.",
        "김민수는 대한민국\u3000서울특별시에서 태어났다.",
        "김민수는 대한민국 서울특별시에서 태어났다.",
    ]
    answer_texts = [
        "대한민국 서울특별시",
        "대한민국 서울특별시",
        "대한민국\u00a0서울특별시",
    ]
    raw = {
        "data": [
            article(context, qa(f"q{index}", "어디에서\u3000태어났는가?", text, 5))
            for index, (context, text) in enumerate(
                zip(contexts, answer_texts, strict=True)
            )
        ]
    }

    examples, report = check_split(raw, "raw_train", "error")

    for record in examples.to_list():
        assert record["context"] == "김민수는 대한민국 서울특별시에서 태어났다."
        assert record["question"] == "어디에서 태어났는가?"
        assert record["answers"] == {
            "text": ["대한민국 서울특별시"],
            "answer_start": [5],
        }
    assert report["normalised_records"] == 3
    assert report["repaired_answer_starts"] == 0


def test_clean_start_maps_positions_past_removed_characters():
    context = f"가{ZWSP}나다"
    assert clean_text(context) == "가나다"
    assert clean_start(context, 2) == 1
    decomposed = unicodedata.normalize("NFD", "한국어 문장")
    assert clean_start(decomposed, decomposed.index(" ") + 1) == 4


def test_each_cleaned_character_points_back_at_the_text_it_came_from():
    raw = f"서{ZWSP}울은 " + unicodedata.normalize("NFD", "대한민국") + "의 수도"
    cleaned = clean_with_offsets(raw)

    assert cleaned.text == clean_text(raw) == "서울은 대한민국의 수도"
    start = cleaned.text.index("대한민국")
    first, last = cleaned.raw_span(start, start + 4)
    assert raw[first:last] == unicodedata.normalize("NFD", "대한민국")
    # 서 ends before the zero-width space; 울 starts after it.
    assert cleaned.raw_span(0, 1) == (0, 1)
    assert cleaned.raw_span(1, 2) == (2, 3)
    assert clean_with_offsets("서울").raw_span(0, 2) == (0, 2)


def test_cleaning_with_offsets_gives_what_clean_text_gives():
    # Characters that compose, decompose, reorder or vanish under NFC, in random
    # strings; a bounded number of them.
    alphabet = [
        *"가각a e.",
        *unicodedata.normalize("NFD", "김힣"),
        ZWSP,
        "\ufeff",
        "\u0301",  # acute, composes with e
        "\u0308",  # diaeresis
        "\u0323",  # dot below, sorts before the acute
        "\u11a8",  # a final jamo, composes with 가
        "\u212b",  # the angstrom sign, NFC turns it into Å
        "\u0f73",  # ccc 0, yet decomposes into two combining marks
        "\u0b47",
        "\u0b3e",  # with 0b47: two starters that compose
        "\u00a0",  # no-break space
        "\u2000",  # en quad, NFC turns it into the en space
        "\u3000",  # ideographic space
    ]
    rng = random.Random(0)
    for _ in range(20_000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        cleaned = clean_with_offsets(raw)
        assert cleaned.text == clean_text(raw), ascii(raw)
        for index, char in enumerate(cleaned.text):
            first, last = cleaned.raw_span(index, index + 1)
            assert char in clean_text(raw[first:last]), ascii(raw)
