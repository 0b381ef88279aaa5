"""A malformed SQuAD JSON file stops with its path and what is wrong."""

from __future__ import annotations

import json

import pytest

from extractive_qa.datasets import SquadJSONDataset
from extractive_qa.datasets.squad_json import MalformedSourceError

DOCUMENT = {
    "version": "test",
    "data": [
        {
            "title": "김민수",
            "paragraphs": [
                {
                    "context": "김민수는 부산에서 태어났다.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "김민수는 어디에서 태어났는가?",
                            "answers": [{"text": "부산", "answer_start": 5}],
                        }
                    ],
                }
            ],
        }
    ],
}


def test_utf8_document_round_trips_with_and_without_bom(tmp_path):
    path = tmp_path / "train.json"
    dataset = SquadJSONDataset(filepath=str(path))
    dataset.save(DOCUMENT)
    assert dataset.load() == DOCUMENT
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(DOCUMENT).encode())
    assert dataset.load() == DOCUMENT


def test_cp949_file_is_refused_naming_the_file_and_the_fix(tmp_path):
    path = tmp_path / "korquad_cp949.json"
    path.write_bytes(json.dumps(DOCUMENT, ensure_ascii=False).encode("cp949"))

    with pytest.raises(MalformedSourceError) as error:
        SquadJSONDataset(filepath=str(path)).load()

    message = str(error.value)
    assert str(path) in message
    assert "not valid UTF-8" in message
    assert "iconv -f CP949" in message


def test_truncated_file_names_line_and_column(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(DOCUMENT, ensure_ascii=False, indent=1)[:150])

    with pytest.raises(MalformedSourceError, match=r"not valid JSON at line \d+") as e:
        SquadJSONDataset(filepath=str(path)).load()
    assert str(path) in str(e.value)


def test_json_lines_are_named_with_the_conversion(tmp_path):
    records = [
        {
            "id": f"q{i}",
            "context": "부산",
            "question": "어디?",
            "answers": {"text": ["부산"], "answer_start": [0]},
        }
        for i in range(2)
    ]
    path = tmp_path / "validation.json"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))

    with pytest.raises(MalformedSourceError) as error:
        SquadJSONDataset(filepath=str(path)).load()

    assert str(error.value).startswith(
        f"{path}: JSON Lines (a record per line; line 2 starts another)"
    )
    assert "jq -s '{data: .}'" in str(error.value)


@pytest.mark.parametrize("document", [{"version": "1", "articles": []}, [1, 2]])
def test_document_without_data_list_names_the_file(tmp_path, document):
    path = tmp_path / "other.json"
    path.write_text(json.dumps(document))

    with pytest.raises(MalformedSourceError, match="top-level 'data'") as error:
        SquadJSONDataset(filepath=str(path)).load()
    assert str(path) in str(error.value)
