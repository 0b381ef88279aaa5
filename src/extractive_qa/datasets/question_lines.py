"""Questions to answer, as JSON Lines, read with errors that name the file, the
line and the fix (``pandas.JSONDataset`` says only "Expected object or value").

Each line is one object with ``question``, ``context`` and an optional ``id``;
ids keep their JSON type (7 stays the number 7, "007" keeps its zeros). The answer
pipeline's ``questions`` entry and the ``answer`` command both read this way.

Example catalog entry::

    questions:
      type: extractive_qa.datasets.QuestionLinesDataset
      filepath: data/01_raw/questions.jsonl
"""

from __future__ import annotations

import json

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import JSONDataset

from extractive_qa.datasets.squad_json import MalformedSourceError

JSON_LINES = "a questions file is JSON Lines: one JSON object per line"


def parse_question_lines(content: bytes, source: str) -> list[dict]:
    """UTF-8 JSON Lines (a byte-order mark allowed, blank lines skipped) -> one
    dict per question; ``MalformedSourceError`` naming ``source`` and the line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedSourceError(
            f"{source} is not UTF-8 text (byte {content[error.start]:#04x} at "
            f"offset {error.start}). Convert it, e.g. from CP949: iconv -f CP949 "
            f"-t UTF-8 {source} > questions.jsonl"
        ) from None
    rows = []
    # Lines end at "\n" (and "\r\n") only: JSON allows U+2028, U+2029 and
    # U+0085 raw inside strings, where str.splitlines would cut the line.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        hint = JSON_LINES
        if line.lstrip().startswith("["):
            hint += " (for a JSON array: jq -c '.[]' FILE)"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise MalformedSourceError(
                f"{source}, line {number}: not JSON ({error}); {hint}"
            ) from None
        if not isinstance(row, dict):
            raise MalformedSourceError(
                f"{source}, line {number}: not a JSON object; {hint}"
            )
        rows.append(row)
    if not rows:
        raise MalformedSourceError(f"{source} holds no questions")
    return rows


class QuestionLinesDataset(JSONDataset):
    """``pandas.JSONDataset`` for questions as JSON Lines, with checks on load;
    saving is the parent's."""

    def load(self) -> pd.DataFrame:
        load_path = get_filepath_str(self._get_load_path(), self._protocol)
        with self._fs.open(load_path, mode="rb") as file:
            content = file.read()
        rows = parse_question_lines(content, str(self._filepath))
        table = pd.DataFrame(rows)
        if "id" in table.columns:
            # As written: pandas would make 7 beside a row without id 7.0.
            table["id"] = pd.Series([row.get("id") for row in rows], dtype=object)
        return table

    def preview(self, nrows: int = 5) -> dict:
        """The first ``nrows`` questions, in pandas' split layout (kedro-viz)."""
        return self.load().head(nrows).to_dict(orient="split")
