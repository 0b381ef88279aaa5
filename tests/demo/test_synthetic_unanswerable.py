"""Synthetic SQuAD v2 data: unanswerable questions ask about facts the paragraph
leaves out, and the answerable data is unchanged by the option being off."""

from __future__ import annotations

import json

import pytest

from extractive_qa.datasets.synthetic_korquad import SyntheticKorQuADDataset
from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.records.shapes import to_examples


def _questions(document: dict) -> list[tuple[str, dict]]:
    return [
        (paragraph["context"], qa)
        for article in document["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def test_about_the_asked_fraction_has_no_answer() -> None:
    document = generate_korquad(
        split="validation", n_questions=600, unanswerable_fraction=0.3
    )
    questions = _questions(document)
    unanswerable = [qa for _, qa in questions if not qa["answers"]]

    assert 0.2 < len(unanswerable) / len(questions) < 0.4
    assert all(qa["is_impossible"] for qa in unanswerable)
    assert document["version"] == "synthetic-squad-2.0"
    for context, qa in questions:
        for answer in qa["answers"]:
            start = answer["answer_start"]
            assert context[start : start + len(answer["text"])] == answer["text"]


def test_an_unanswerable_question_names_the_paragraph_person() -> None:
    document = generate_korquad(
        split="train", n_questions=200, unanswerable_fraction=0.5
    )
    for context, qa in _questions(document):
        if not qa["answers"]:
            # Questions open with the person's name plus a particle: 3 syllables.
            assert qa["question"][:3] in context


def test_zero_fraction_gives_the_v1_data() -> None:
    plain = generate_korquad(split="train", n_questions=300)
    assert (
        generate_korquad(split="train", n_questions=300, unanswerable_fraction=0.0)
        == plain
    )
    assert all(qa["answers"] for _, qa in _questions(plain))


def test_fraction_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="unanswerable_fraction"):
        generate_korquad(split="train", n_questions=10, unanswerable_fraction=1.0)


def test_dataset_writes_and_loads_unanswerable_questions(tmp_path) -> None:
    path = tmp_path / "v2.json"
    dataset = SyntheticKorQuADDataset(
        filepath=str(path),
        split="validation",
        n_questions=40,
        unanswerable_fraction=0.5,
    )

    examples = to_examples(dataset.load(), "raw_validation")

    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["version"] == "synthetic-squad-2.0"
    empty = [answers for answers in examples["answers"] if not answers["text"]]
    assert 0 < len(empty) < len(examples)
    assert dataset._describe()["unanswerable_fraction"] == 0.5
