"""A SQuAD/KorQuAD JSON file that says what is wrong with it, naming the file.

``json.JSONDataset`` fails deep inside the codec or the parser on a file saved
in CP949/EUC-KR or cut short; this dataset stops with the file's path, where
the problem is and what to do.

Example catalog entry::

    raw_train:
      type: extractive_qa.datasets.SquadJSONDataset
      filepath: /data/KorQuAD_v1.0_train.json
"""

from __future__ import annotations

import json
from typing import Any

from kedro.io.core import DatasetError, get_filepath_str
from kedro_datasets.json import JSONDataset

from extractive_qa.gc_pause import cycle_collector_paused


class MalformedSourceError(DatasetError):
    """A raw data source cannot be read as SQuAD-format examples.

    A ``DatasetError``, so Kedro passes the message on unwrapped."""


def parse_squad_json(content: bytes, filepath: str) -> dict[str, Any]:
    """UTF-8 bytes of a SQuAD-layout document -> the document; clear errors."""
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is fine.
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedSourceError(
            f"{filepath}: byte {error.start} (0x{content[error.start]:02x}) is not "
            "valid UTF-8. SQuAD/KorQuAD JSON must be UTF-8; re-encode the file, "
            "e.g. `iconv -f CP949 -t UTF-8 in.json > out.json` for Korean text "
            "saved as CP949/EUC-KR."
        ) from None
    try:
        with cycle_collector_paused():
            document = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and error.colno == 1:
            # One whole object per line: JSON Lines, not one document.
            raise MalformedSourceError(
                f"{filepath}: JSON Lines (a record per line; line {error.lineno} "
                "starts another), not one SQuAD/KorQuAD JSON document. Make it "
                "one, a 'data' list of the records: jq -s '{data: .}' FILE > "
                "FILE.json, and point the catalog at that."
            ) from None
        raise MalformedSourceError(
            f"{filepath}: not valid JSON at line {error.lineno}, column "
            f"{error.colno}: {error.msg}. Check the file is complete (not cut "
            "short by a failed download or copy)."
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        found = sorted(document) if isinstance(document, dict) else type(document)
        raise MalformedSourceError(
            f"{filepath}: a SQuAD/KorQuAD JSON document needs a top-level 'data' "
            f"list of articles; found {found}. Point the catalog at the dataset "
            "file itself (e.g. KorQuAD_v1.0_train.json)."
        )
    return document


class SquadJSONDataset(JSONDataset):
    """``json.JSONDataset`` for SQuAD-layout files, with checks on load."""

    def load(self) -> dict[str, Any]:
        load_path = get_filepath_str(self._get_load_path(), self._protocol)
        with self._fs.open(load_path, mode="rb") as file:
            content = file.read()
        return parse_squad_json(content, str(self._filepath))
