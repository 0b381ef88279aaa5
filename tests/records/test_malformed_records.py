"""Malformed answers are named by record, field and fix, in error mode and in
skip mode (where they are counted by reason instead)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from extractive_qa.records import check_split, load_splits
from extractive_qa.records.checks import EmptySplitError
from extractive_qa.records.shapes import MalformedRecordsError, to_examples

CONTEXT = "김민수는 1932년에 부산에서 태어났다."


def document(*answers: dict | None, with_ids: bool = True) -> dict:
    """One paragraph with one question per answer object (None: no answers)."""
    qas = []
    for i, answer in enumerate(answers):
        qa = {"question": f"질문 {i}?", "answers": [] if answer is None else [answer]}
        if with_ids:
            qa["id"] = f"q{i}"
        qas.append(qa)
    return {
        "data": [{"title": "김민수", "paragraphs": [{"context": CONTEXT, "qas": qas}]}]
    }


GOOD = {"text": "부산", "answer_start": 12}


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        ({"answer_start": 12}, "answers[0] has no 'text'"),
        ({"text": "부산"}, "answers[0] has no 'answer_start'"),
        (
            {"text": "부산", "answer_start": None},
            "answers[0].answer_start is None, not a whole number ≥ 0",
        ),
        (
            {"text": "부산", "answer_start": "abc"},
            "answers[0].answer_start is 'abc', not a whole number ≥ 0",
        ),
        (
            {"text": "부산", "answer_start": -3},
            "answers[0].answer_start is -3, not a whole number ≥ 0",
        ),
        (
            {"text": "부산", "answer_start": True},
            "answers[0].answer_start is True, not a whole number ≥ 0",
        ),
        (
            {"text": "부산", "answer_start": 3_000_000_000},
            "answers[0].answer_start is 3000000000, beyond any context",
        ),
        (
            {"text": "부산", "answer_start": 1e20},
            "answers[0].answer_start is 1e+20, beyond any context",
        ),
        ({"text": 12, "answer_start": 0}, "answers[0].text is 12, not a string"),
    ],
)
def test_each_malformed_answer_names_record_field_and_fix(answer, detail):
    with pytest.raises(MalformedRecordsError) as error:
        to_examples(document(GOOD, answer), "raw_validation")

    message = str(error.value)
    assert message.startswith("raw_validation: 1 of 2 records are malformed")
    assert f"id 'q1' (article 0, paragraph 0): {detail}" in message
    assert "set data_loading.on_invalid: skip" in message


def test_record_without_id_is_named_by_article_paragraph_and_question():
    with pytest.raises(MalformedRecordsError) as error:
        to_examples(document(GOOD, {"text": "부산"}, with_ids=False), "raw_train")

    assert "article 0, paragraph 0, question 1 (no id): answers[0] has no" in str(
        error.value
    )


def test_flat_table_row_is_named_by_position_and_id():
    table = pd.DataFrame(
        {
            "id": ["a", "b"],
            "context": [CONTEXT, CONTEXT],
            "question": ["어디?", "언제?"],
            "answer_text": ["부산", "1932년"],
            "answer_start": [12, "abc"],
        }
    )

    with pytest.raises(MalformedRecordsError, match=r"row 1 \(id 'b'\): answers\[0\]"):
        to_examples(table, "raw_train")


def test_a_csv_whose_reader_dropped_an_answer_text_is_named(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(
        "id,question,context,answer_text,answer_start\n"
        "q1,무엇?,값은 None 이다.,None,3\n"
        "q2,무엇?,값은 없다.,,\n",
        encoding="utf-8",
    )

    with pytest.raises(MalformedRecordsError) as error:
        to_examples(pd.read_csv(path), "raw_train")
    assert "row 0 (id 'q1'): answer_start is " in str(error.value)
    assert "answer_text is empty" in str(error.value)
    assert "keep_default_na: false" in str(error.value)

    examples = to_examples(pd.read_csv(path, keep_default_na=False), "raw_train")
    assert examples["answers"] == [
        {"text": ["None"], "answer_start": [3]},
        {"text": [], "answer_start": []},
    ]


def test_a_column_of_numeric_answers_is_read_as_text(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(
        "id,question,context,answer_text,answer_start\nq1,몇?,답은 284 이다.,284,3\n",
        encoding="utf-8",
    )

    examples = to_examples(pd.read_csv(path), "raw_train")

    assert examples["answers"] == [{"text": ["284"], "answer_start": [3]}]


def test_a_flat_data_list_as_datasets_writes_it_is_read_like_a_table():
    flat = {
        "data": [
            {
                "id": "q1",
                "title": "김민수",
                "context": CONTEXT,
                "question": "어디?",
                "answers": {"text": ["부산"], "answer_start": [12]},
            }
        ]
    }

    examples = to_examples(flat, "raw_train")

    assert examples["id"] == ["q1"]
    assert examples["answers"] == [{"text": ["부산"], "answer_start": [12]}]


@pytest.mark.parametrize(
    ("qa", "detail"),
    [
        ({"answers": {}}, "answers is {}, not a list of answers"),
        ({"answers": ""}, "answers is '', not a list of answers"),
        ({"is_impossible": "true"}, "is_impossible is 'true'; write true or false"),
    ],
)
def test_answers_and_is_impossible_of_the_wrong_kind_are_named(qa, detail):
    raw = document(GOOD)
    raw["data"][0]["paragraphs"][0]["qas"][0].update(qa)

    with pytest.raises(MalformedRecordsError) as error:
        to_examples(raw, "raw_train")

    assert detail in str(error.value)


def test_a_null_title_is_empty_not_none():
    raw = document(GOOD)
    raw["data"][0]["title"] = None

    assert to_examples(raw, "raw_train")["title"] == [""]


def nested(article) -> dict:
    return {"data": [document(GOOD)["data"][0], article]}


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (nested("김민수"), "article 1: is a string, not an object"),
        (
            nested({"title": "t", "paragraphs": {"context": CONTEXT}}),
            "article 1: 'paragraphs' is an object, not a list",
        ),
        (
            nested({"title": "t"}),
            "article 1: has no 'paragraphs' list (keys: ['title'])",
        ),
        (
            nested({"paragraphs": ["김민수"]}),
            "article 1, paragraph 0: is a string, not an object",
        ),
        (
            nested({"paragraphs": [{"context": CONTEXT, "qa": []}]}),
            "article 1, paragraph 0: has no 'qas' list (keys: ['context', 'qa'])",
        ),
        (
            nested({"paragraphs": [{"context": CONTEXT, "qas": ["어디?"]}]}),
            "article 1, paragraph 0, question 0: is a string, not an object",
        ),
    ],
)
def test_a_wrongly_nested_document_names_the_place(raw, detail):
    with pytest.raises(MalformedRecordsError) as error:
        to_examples(raw, "raw_validation")

    assert "raw_validation: 1 of 2 records are malformed" in str(error.value)
    assert detail in str(error.value)
    assert "SQuAD JSON nests {'data'" in str(error.value)
    assert "Each answer needs" not in str(error.value)


def test_an_impossible_question_with_answers_is_named():
    raw = document(GOOD, GOOD)
    raw["data"][0]["paragraphs"][0]["qas"][1]["is_impossible"] = True

    with pytest.raises(MalformedRecordsError) as error:
        to_examples(raw, "raw_validation")

    assert "id 'q1' (article 0, paragraph 0): is_impossible is true, yet it has 1" in (
        str(error.value)
    )


def test_a_data_object_instead_of_a_list_is_named():
    with pytest.raises(ValueError, match="its 'data' is an object"):
        to_examples({"data": {"title": "t"}}, "raw_train")


def test_missing_ids_and_blank_cells_are_empty_not_none_or_nan():
    table = pd.DataFrame(
        {
            "id": ["a", None],
            "context": [CONTEXT, CONTEXT],
            "question": [float("nan"), "언제?"],
            "answer_text": ["부산", "1932년"],
            "answer_start": [12, 5],
        }
    )
    raw = document(GOOD, GOOD)
    raw["data"][0]["paragraphs"][0]["qas"][1]["id"] = None

    with pytest.raises(ValueError) as from_table:
        check_split(table, "raw_train", "error")
    with pytest.raises(ValueError) as from_json:
        check_split(raw, "raw_validation", "error")

    assert "record 0 (id 'a'): the question is empty" in str(from_table.value)
    assert "record 1 (id ''): the id is empty" in str(from_table.value)
    assert "record 1 (id ''): the id is empty" in str(from_json.value)


def test_whole_number_forms_of_answer_start_are_read():
    examples = to_examples(
        document(
            {"text": "부산", "answer_start": "12"},
            {"text": "부산", "answer_start": 12.0},
        ),
        "raw_train",
    )

    assert [a["answer_start"] for a in examples["answers"]] == [[12], [12]]


@pytest.mark.parametrize(
    ("answer", "context"),
    [
        # CONTEXT: "김민수는 1932년에 부산에서 태어났다."; 부산 starts at 12.
        ({"text": " 부산", "answer_start": 11}, CONTEXT),
        ({"text": "부산 ", "answer_start": 12}, CONTEXT),
        ({"text": "\u3000부산\n", "answer_start": 11}, CONTEXT),
        # A start counted without the space: the nearest 부산 to 12, not the
        # later one.
        ({"text": " 부산", "answer_start": 12}, CONTEXT + " 부산은 항구다."),
    ],
)
def test_spaces_around_an_answer_are_left_out_of_it(answer, context):
    raw = document(answer)
    raw["data"][0]["paragraphs"][0]["context"] = context

    examples, report = check_split(raw, "raw_train", "error")

    assert examples["answers"] == [{"text": ["부산"], "answer_start": [12]}]
    assert report["repaired_answer_starts"] == 1


@pytest.mark.parametrize("start", ["①", "²", "١٢"])
def test_digits_that_are_not_ascii_are_refused_with_the_record(start):
    with pytest.raises(MalformedRecordsError) as error:
        to_examples(document({"text": "부산", "answer_start": start}), "raw_train")

    assert f"answers[0].answer_start is {start!r}, not a whole number ≥ 0" in str(
        error.value
    )


def test_skip_drops_malformed_records_and_counts_them_by_reason():
    raw = document(GOOD, {"answer_start": 1}, {"text": "부산", "answer_start": None})

    examples, report = check_split(raw, "raw_train", "skip")

    assert examples["id"] == ["q0"]
    assert report["checked"] == 3
    assert report["kept"] == 1
    assert report["dropped_by_reason"] == {
        "answer without text": 1,
        "answer_start not a whole number ≥ 0": 1,
    }


def test_source_is_not_modified():
    raw = document(GOOD, {"text": "부산", "answer_start": "12"})
    before = copy.deepcopy(raw)

    check_split(raw, "raw_train", "error")

    assert raw == before


def test_empty_data_list_names_the_split():
    with pytest.raises(EmptySplitError) as error:
        load_splits(
            document(GOOD), {"data": []}, "error", "warn", version_2_with_negative=False
        )

    assert str(error.value).startswith(
        "raw_validation: the source holds no questions (an empty 'data' list"
    )


def test_skip_that_drops_every_record_names_split_and_reasons():
    raw = document({"text": "서울", "answer_start": 0}, {"answer_start": 2})

    with pytest.raises(EmptySplitError) as error:
        load_splits(document(GOOD), raw, "skip", "warn", version_2_with_negative=False)

    message = str(error.value)
    assert message.startswith("raw_validation: no record is left: all 2 were dropped")
    assert "(1 answer without text, 1 answer not in context)" in message
