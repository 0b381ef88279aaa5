"""The answer pipeline's questions entry reads JSON Lines and names what is
wrong with a file: its encoding, the line, the layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from kedro.io import AbstractDataset

from extractive_qa.datasets.squad_json import MalformedSourceError

REPO = Path(__file__).resolve().parents[2]


def questions_entry(path: Path) -> AbstractDataset:
    """The questions entry of conf/base/catalog.yml, pointed at ``path``."""
    entry = yaml.safe_load((REPO / "conf/base/catalog.yml").read_text())["questions"]
    return AbstractDataset.from_config("questions", entry | {"filepath": str(path)})


def test_a_byte_order_mark_and_blank_lines_are_read_past(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_bytes(
        '\ufeff{"id": 7, "question": "어디?", "context": "부산"}\n\n'
        '{"question": "언제?", "context": "1932년"}\n'.encode()
    )

    dataset = questions_entry(path)
    table = dataset.load()

    assert list(table["question"]) == ["어디?", "언제?"]
    assert type(table["id"].iloc[0]) is int
    assert table["id"].iloc[1] is None
    assert dataset.preview(nrows=1)["data"] == [[7, "어디?", "부산"]]


def test_line_separators_inside_a_string_do_not_end_the_line(tmp_path):
    # JSON allows these raw in a string; json.dumps(ensure_ascii=False) writes them.
    contexts = ["남겼다.\u2028송람나", "남겼다.\u2029송람나", "남겼다.\x85송람나"]
    path = tmp_path / "questions.jsonl"
    path.write_text(
        "".join(
            json.dumps({"question": "누구?", "context": c}, ensure_ascii=False) + "\r\n"
            for c in contexts
        ),
        encoding="utf-8",
    )

    table = questions_entry(path).load()

    assert list(table["context"]) == contexts


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"question": "어디?", "context": "부산"}\n'.encode("cp949"),
            "is not UTF-8 text (byte 0xbe at offset 14). Convert it",
        ),
        (
            b'{"question": "q", "context": "c"}\n{"question": \n',
            "questions.jsonl, line 2: not JSON (Expecting value: line 1 column 14",
        ),
        (
            b'[{"question": "q", "context": "c"}]\n',
            "line 1: not a JSON object; a questions file is JSON Lines: one JSON "
            "object per line (for a JSON array: jq -c '.[]' FILE)",
        ),
        (b"\n\n", "questions.jsonl holds no questions"),
    ],
)
def test_a_bad_file_is_named_with_its_line_and_fix(tmp_path, content, message):
    path = tmp_path / "questions.jsonl"
    path.write_bytes(content)

    with pytest.raises(MalformedSourceError) as error:
        questions_entry(path).load()

    assert str(error.value).startswith(str(path))
    assert message in str(error.value)
