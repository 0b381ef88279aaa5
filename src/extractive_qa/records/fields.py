"""Read the fields of one SQuAD-format record: answers, texts and ids, each
checked for its type, with ``Malformed`` saying what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

# answer_start is stored as int32.
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Problem:
    """Why one record cannot be used: where it is, a kind for counting, the
    details."""

    record: str
    kind: str
    detail: str


class Malformed(ValueError):
    """One record cannot be read: a kind for counting, and the details."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail


def answer_start(value: Any, index: int) -> int:
    """An ``answer_start`` as an int: ints, integral floats and digit strings."""
    start = None
    if isinstance(value, int) and not isinstance(value, bool):
        start = value
    elif isinstance(value, float) and value.is_integer():
        start = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        start = int(value)
    if start is None or start < 0:
        raise Malformed(
            "answer_start not a whole number ≥ 0",
            f"answers[{index}].answer_start is {value!r}, not a whole number ≥ 0",
        )
    if start > INT32_MAX:
        raise Malformed(
            "answer_start too large",
            f"answers[{index}].answer_start is {value!r}, beyond any context "
            f"(at most {INT32_MAX})",
        )
    return start


def answer_pair(answer: Any, index: int) -> tuple[str, int]:
    """``(text, answer_start)`` of one answer object, or ``Malformed``."""
    if not isinstance(answer, dict):
        raise Malformed(
            "answer not an object",
            f"answers[{index}] is {answer!r}, not an object with 'text' and "
            "'answer_start'",
        )
    for key in ("text", "answer_start"):
        if key not in answer:
            raise Malformed(f"answer without {key}", f"answers[{index}] has no {key!r}")
    if not isinstance(answer["text"], str):
        raise Malformed(
            "answer text not a string",
            f"answers[{index}].text is {answer['text']!r}, not a string",
        )
    return answer["text"], answer_start(answer["answer_start"], index)


def answer_lists(answers: list) -> dict[str, list]:
    pairs = [answer_pair(answer, i) for i, answer in enumerate(answers)]
    return {
        "text": [text for text, _ in pairs],
        "answer_start": [start for _, start in pairs],
    }


def text_field(record: dict, key: str) -> str:
    value = record.get(key, "")
    if not isinstance(value, str):
        raise Malformed(f"{key} not a string", f"{key} is {value!r}, not a string")
    return value


def cell_text(value: Any) -> str:
    """An id or a table cell as a string; a missing one (None, NaN) as "",
    which the record checks name as empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)
