"""The three accepted source shapes give the same examples; bad shapes say why."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pandas as pd
import pytest
from kedro_datasets.json import JSONDataset

from extractive_qa.pipelines.data_loading.nodes import load
from extractive_qa.records.shapes import EXAMPLE_FEATURES, to_examples

KORQUAD_DOCUMENT = {
    "version": "KorQuAD_v1.0_test",
    "data": [
        {
            "title": "김민수",
            "paragraphs": [
                {
                    "context": "김민수는 1932년에 부산에서 태어났다.",
                    "qas": [
                        {
                            "id": "q-born-where",
                            "question": "김민수는 어디에서 태어났는가?",
                            "answers": [{"text": "부산", "answer_start": 12}],
                        },
                        {
                            "id": "q-born-when",
                            "question": "김민수는 언제 태어났는가?",
                            "answers": [{"text": "1932년", "answer_start": 5}],
                        },
                    ],
                }
            ],
        },
        {
            "title": "서울",
            "paragraphs": [
                {
                    "context": "서울은 대한민국의 수도이다.",
                    "qas": [
                        {
                            "id": "q-capital",
                            "question": "대한민국의 수도는 어디인가?",
                            "answers": [{"text": "서울", "answer_start": 0}],
                        }
                    ],
                }
            ],
        },
    ],
}

ERROR = {"on_invalid": "error", "on_leak": "warn"}
V1 = {"version_2_with_negative": False}
SKIP = {"on_invalid": "skip", "on_leak": "warn"}

# The same examples, one row per question, as the flat shapes carry them.
ROWS = [
    {
        "id": qa["id"],
        "title": article["title"],
        "context": paragraph["context"],
        "question": qa["question"],
        "answer_text": qa["answers"][0]["text"],
        "answer_start": qa["answers"][0]["answer_start"],
    }
    for article in KORQUAD_DOCUMENT["data"]
    for paragraph in article["paragraphs"]
    for qa in paragraph["qas"]
]


def squad_kor_v1_dataset() -> datasets.Dataset:
    """The rows in the Hugging Face squad_kor_v1 schema."""
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "title": datasets.Value("string"),
            "context": datasets.Value("string"),
            "question": datasets.Value("string"),
            "answers": datasets.Sequence(
                {
                    "text": datasets.Value("string"),
                    "answer_start": datasets.Value("int32"),
                }
            ),
        }
    )
    records = [
        {
            "id": row["id"],
            "title": row["title"],
            "context": row["context"],
            "question": row["question"],
            "answers": {
                "text": [row["answer_text"]],
                "answer_start": [row["answer_start"]],
            },
        }
        for row in ROWS
    ]
    return datasets.Dataset.from_list(records, features=features)


def json_source(tmp_path: Path) -> dict:
    """The KorQuAD document written to disk and read back as the catalog would."""
    path = tmp_path / "korquad.json"
    path.write_text(json.dumps(KORQUAD_DOCUMENT, ensure_ascii=False), encoding="utf-8")
    return JSONDataset(filepath=str(path)).load()


def answers_table() -> pd.DataFrame:
    table = pd.DataFrame(ROWS)
    table["answers"] = [
        {"text": [text], "answer_start": [start]}
        for text, start in zip(table["answer_text"], table["answer_start"], strict=True)
    ]
    return table.drop(columns=["answer_text", "answer_start"])


def test_json_examples_have_the_squad_kor_v1_schema(tmp_path):
    examples = to_examples(json_source(tmp_path), "raw_train")

    assert examples.features == EXAMPLE_FEATURES
    assert examples["id"] == ["q-born-where", "q-born-when", "q-capital"]
    for example in examples:
        start = example["answers"]["answer_start"][0]
        text = example["answers"]["text"][0]
        assert example["context"][start : start + len(text)] == text


@pytest.mark.parametrize(
    "make_source",
    [
        squad_kor_v1_dataset,
        answers_table,
        lambda: pd.DataFrame(ROWS),
    ],
    ids=["hf-dataset", "table-answers", "table-answer-columns"],
)
def test_every_shape_gives_the_same_examples(tmp_path, make_source):
    from_json = to_examples(json_source(tmp_path), "raw_train")

    examples = to_examples(make_source(), "raw_train")

    assert examples.features == from_json.features
    assert examples.to_list() == from_json.to_list()


def test_answers_stored_as_json_text_are_read(tmp_path):
    table = answers_table()
    table["answers"] = [json.dumps(answers) for answers in table["answers"]]

    examples = to_examples(table, "raw_train")

    assert examples.to_list() == to_examples(json_source(tmp_path), "x").to_list()


def test_hf_dataset_without_title_gets_empty_titles(tmp_path):
    untitled = squad_kor_v1_dataset().remove_columns("title")

    examples = to_examples(untitled, "raw_train")

    assert examples.features == EXAMPLE_FEATURES
    assert examples["title"] == ["", "", ""]
    expected = to_examples(json_source(tmp_path), "raw_train").remove_columns("title")
    assert examples.remove_columns("title").to_list() == expected.to_list()


def test_table_row_without_answer_text_has_no_answers():
    table = pd.DataFrame(ROWS)
    table.loc[2, "answer_text"] = None
    table.loc[2, "answer_start"] = None

    examples = to_examples(table, "raw_train")

    assert examples[2]["answers"] == {"text": [], "answer_start": []}
    assert examples[0]["answers"] == {"text": ["부산"], "answer_start": [12]}


def test_load_reads_train_and_validation_in_different_shapes(tmp_path):
    outputs = load(json_source(tmp_path), pd.DataFrame(ROWS[:2]), ERROR, V1)

    assert set(outputs) == {
        "train_examples",
        "validation_examples",
        "train_data_quality",
        "validation_data_quality",
    }
    assert len(outputs["train_examples"]) == 3
    assert outputs["validation_examples"]["id"] == ["q-born-where", "q-born-when"]
    assert outputs["validation_examples"].features == EXAMPLE_FEATURES


def test_json_without_data_names_the_source_and_its_keys(tmp_path):
    document = {"version": "1.0", "articles": []}

    with pytest.raises(ValueError, match="raw_train") as error:
        load(document, json_source(tmp_path), ERROR, V1)

    assert "'data'" in str(error.value)
    assert "articles" in str(error.value)
    assert "version" in str(error.value)


def test_table_without_question_names_the_missing_column(tmp_path):
    table = pd.DataFrame(ROWS).drop(columns=["question"])

    with pytest.raises(ValueError, match=r"missing \['question'\]") as error:
        load(json_source(tmp_path), table, ERROR, V1)

    assert "raw_validation" in str(error.value)


def test_hf_dataset_without_question_names_the_missing_column():
    untitled = squad_kor_v1_dataset().remove_columns("question")

    with pytest.raises(ValueError, match="question"):
        to_examples(untitled, "raw_train")


def test_dataset_dict_asks_for_one_split():
    splits = datasets.DatasetDict(
        {"train": squad_kor_v1_dataset(), "validation": squad_kor_v1_dataset()}
    )

    with pytest.raises(ValueError, match="split") as error:
        to_examples(splits, "raw_train")

    message = str(error.value)
    assert "raw_train" in message
    assert "'train'" in message and "'validation'" in message


def test_unknown_source_type_is_refused():
    with pytest.raises(ValueError, match="list"):
        to_examples([{"id": "1"}], "raw_train")


def test_table_with_answer_text_but_no_answer_start_names_the_column():
    table = pd.DataFrame(ROWS).drop(columns=["answer_start"])

    with pytest.raises(ValueError, match="answer_start"):
        to_examples(table, "raw_train")


def test_table_without_any_answer_column_is_refused():
    table = pd.DataFrame(ROWS).drop(columns=["answer_text", "answer_start"])

    with pytest.raises(ValueError, match="answer"):
        to_examples(table, "raw_train")


def test_missing_title_in_a_table_is_empty():
    table = pd.DataFrame(ROWS)
    table.loc[0, "title"] = None

    assert to_examples(table, "raw_train")[0]["title"] == ""
