"""Bring any SQuAD-format source to one table of examples.

Three shapes are accepted, so switching source is a catalog change only:
a Hugging Face ``datasets.Dataset`` (``squad_kor_v1`` and friends), the nested
SQuAD/KorQuAD JSON (``{"data": [{"title", "paragraphs": [...]}]}``) and a flat
pandas table with one row per question.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import datasets
import pandas as pd

logger = logging.getLogger(__name__)

EXAMPLE_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "title": datasets.Value("string"),
        "context": datasets.Value("string"),
        "question": datasets.Value("string"),
        "answers": {
            "text": datasets.Sequence(datasets.Value("string")),
            "answer_start": datasets.Sequence(datasets.Value("int32")),
        },
    }
)
REQUIRED_COLUMNS = ("id", "context", "question")


def _table_problem(columns: list[str]) -> str | None:
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if "answers" not in columns:
        missing += [c for c in ("answer_text", "answer_start") if c not in columns]
    if not missing:
        return None
    return (
        f"a flat table needs columns {list(REQUIRED_COLUMNS)} plus "
        "either 'answers' ({text: [...], answer_start: [...]}) or "
        f"'answer_text' and 'answer_start'; missing {missing} (columns: {columns})."
    )


def container_problem(raw: Any) -> str | None:
    """What is wrong with the shape of a raw source, or None when it is usable."""
    if isinstance(raw, datasets.DatasetDict):
        return (
            f"loaded as a DatasetDict with splits {list(raw)}; select one "
            "in the catalog, e.g. dataset_kwargs: {split: train} for "
            "huggingface.HFDataset or load_args: {split: train} for Parquet."
        )
    if isinstance(raw, dict):
        if not isinstance(raw.get("data"), list):
            return (
                "a SQuAD/KorQuAD JSON document needs a top-level 'data' list of "
                f"articles; found keys {sorted(raw)}."
            )
        return None
    if isinstance(raw, pd.DataFrame):
        return _table_problem([str(c) for c in raw.columns])
    if isinstance(raw, datasets.Dataset):
        missing = [
            c for c in (*REQUIRED_COLUMNS, "answers") if c not in raw.column_names
        ]
        if missing:
            return f"the dataset lacks columns {missing} (has {raw.column_names})."
        return None
    return (
        f"cannot read examples from a {type(raw).__name__}; use a "
        "huggingface.HFDataset, a json.JSONDataset of SQuAD JSON or a pandas table."
    )


class SourceRecordsError(ValueError):
    """Records of one source cannot be used; the message starts with the
    source's name, which ``at`` can extend with where the source lives."""

    def __init__(self, source: str, detail: str) -> None:
        self.source, self.detail = source, detail
        super().__init__(f"{source}: {detail}")

    def at(self, location: str) -> SourceRecordsError:
        """The same error, naming the source with ``location`` (its file)."""
        return type(self)(f"{self.source} ({location})", self.detail)


class MalformedRecordsError(SourceRecordsError):
    """Records lack a field, or hold a value of the wrong type."""


def malformed_records_error(
    source: str, problems: list[Problem], total: int
) -> MalformedRecordsError:
    return MalformedRecordsError(
        source,
        f"{len(problems)} of {total} records are malformed; {listed(problems)}\n"
        "Each answer needs 'text' (a string) and 'answer_start' (the character "
        "offset where the text begins in the context, a whole number of at least "
        "0). Fix these records in the source, or set data_loading.on_invalid: "
        "skip to drop them.",
    )


@dataclass(frozen=True)
class Problem:
    """Why one record cannot be used: where it is, a kind for counting, the
    details."""

    record: str
    kind: str
    detail: str


PROBLEMS_SHOWN = 10


def listed(problems: list[Problem], shown: int = PROBLEMS_SHOWN) -> str:
    """'the first N:' and one indented line per problem."""
    first = problems[:shown]
    return f"the first {len(first)}:\n" + "\n".join(
        f"  {p.record}: {p.detail}" for p in first
    )


class _Malformed(ValueError):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail


def _answer_start(value: Any, index: int) -> int:
    """An ``answer_start`` as an int: ints, integral floats and digit strings."""
    start = None
    if isinstance(value, int) and not isinstance(value, bool):
        start = value
    elif isinstance(value, float) and value.is_integer():
        start = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        start = int(value)
    if start is None or start < 0:
        raise _Malformed(
            "answer_start not a whole number ≥ 0",
            f"answers[{index}].answer_start is {value!r}, not a whole number ≥ 0",
        )
    return start


def _answer(answer: Any, index: int) -> tuple[str, int]:
    """``(text, answer_start)`` of one answer object, or ``_Malformed``."""
    if not isinstance(answer, dict):
        raise _Malformed(
            "answer not an object",
            f"answers[{index}] is {answer!r}, not an object with 'text' and "
            "'answer_start'",
        )
    for key in ("text", "answer_start"):
        if key not in answer:
            raise _Malformed(
                f"answer without {key}", f"answers[{index}] has no {key!r}"
            )
    if not isinstance(answer["text"], str):
        raise _Malformed(
            "answer text not a string",
            f"answers[{index}].text is {answer['text']!r}, not a string",
        )
    return answer["text"], _answer_start(answer["answer_start"], index)


def _answer_lists(answers: list) -> dict[str, list]:
    pairs = [_answer(answer, i) for i, answer in enumerate(answers)]
    return {
        "text": [text for text, _ in pairs],
        "answer_start": [start for _, start in pairs],
    }


def _text_field(record: dict, key: str) -> str:
    value = record.get(key, "")
    if not isinstance(value, str):
        raise _Malformed(f"{key} not a string", f"{key} is {value!r}, not a string")
    return value


def _squad_record_label(qa: dict, article: int, paragraph: int, question: int) -> str:
    place = f"article {article}, paragraph {paragraph}"
    if qa.get("id") not in (None, ""):
        return f"id {str(qa['id'])!r} ({place})"
    return f"{place}, question {question} (no id)"


def _rows_from_squad_json(document: dict[str, Any]) -> tuple[list[dict], list[Problem]]:
    rows, problems = [], []
    for a, article in enumerate(document["data"]):
        for p, paragraph in enumerate(article.get("paragraphs", [])):
            for q, qa in enumerate(paragraph.get("qas", [])):
                try:
                    answers = qa.get("answers") or []
                    if not isinstance(answers, list):
                        raise _Malformed(
                            "answers not a list",
                            f"answers is {answers!r}, not a list of answers",
                        )
                    rows.append(
                        {
                            "id": str(qa.get("id", "")),
                            "title": str(article.get("title", "")),
                            "context": _text_field(paragraph, "context"),
                            "question": _text_field(qa, "question"),
                            "answers": _answer_lists(answers),
                        }
                    )
                except _Malformed as bad:
                    label = _squad_record_label(qa, a, p, q)
                    problems.append(Problem(label, bad.kind, bad.detail))
    return rows, problems


def _answers_from_row(row: pd.Series) -> dict[str, list]:
    if "answers" in row.index:
        answers = row["answers"]
        if isinstance(answers, str):
            try:
                answers = json.loads(answers)
            except json.JSONDecodeError:
                raise _Malformed(
                    "answers not valid JSON", f"answers {answers[:60]!r} is not JSON"
                ) from None
        if answers is None or (isinstance(answers, float) and pd.isna(answers)):
            return {"text": [], "answer_start": []}
        if not isinstance(answers, dict) or not {"text", "answer_start"} <= set(
            answers
        ):
            raise _Malformed(
                "answers without text or answer_start",
                f"answers is {answers!r}; it needs 'text' and 'answer_start' lists",
            )
        texts, starts = list(answers["text"]), list(answers["answer_start"])
        if len(texts) != len(starts):
            # Left for the record checks, which name both lengths.
            return {"text": [str(t) for t in texts], "answer_start": starts}
        return _answer_lists(
            [{"text": t, "answer_start": s} for t, s in zip(texts, starts, strict=True)]
        )
    if pd.notna(row["answer_text"]):
        return _answer_lists(
            [{"text": row["answer_text"], "answer_start": row["answer_start"]}]
        )
    return {"text": [], "answer_start": []}


def _rows_from_table(table: pd.DataFrame) -> tuple[list[dict], list[Problem]]:
    rows, problems = [], []
    has_title = "title" in table.columns
    for position, (_, row) in enumerate(table.iterrows()):
        try:
            rows.append(
                {
                    "id": str(row["id"]),
                    "title": str(row["title"])
                    if has_title and pd.notna(row["title"])
                    else "",
                    "context": str(row["context"]),
                    "question": str(row["question"]),
                    "answers": _answers_from_row(row),
                }
            )
        except _Malformed as bad:
            label = f"row {position} (id {str(row['id'])!r})"
            problems.append(Problem(label, bad.kind, bad.detail))
    return rows, problems


def read_records(raw: Any, source: str) -> tuple[datasets.Dataset, list[Problem]]:
    """One source in any accepted shape -> the examples that could be read, with
    the squad_kor_v1 schema, and the records that could not, with why."""
    problem = container_problem(raw)
    if problem:
        raise ValueError(f"{source}: {problem}")
    if isinstance(raw, datasets.Dataset):
        if "title" not in raw.column_names:
            raw = raw.add_column("title", [""] * len(raw))
        return raw.select_columns(list(EXAMPLE_FEATURES)).cast(EXAMPLE_FEATURES), []
    if isinstance(raw, dict):
        rows, problems = _rows_from_squad_json(raw)
    else:
        rows, problems = _rows_from_table(raw)
    if not rows:
        # from_list cannot tell an empty table's columns from its features.
        columns: dict[str, list] = {name: [] for name in EXAMPLE_FEATURES}
        return datasets.Dataset.from_dict(columns, features=EXAMPLE_FEATURES), problems
    return datasets.Dataset.from_list(rows, features=EXAMPLE_FEATURES), problems


def to_examples(raw: Any, source: str) -> datasets.Dataset:
    """One source in any accepted shape -> examples with the squad_kor_v1 schema;
    ``MalformedRecordsError`` when any record cannot be read."""
    examples, problems = read_records(raw, source)
    if problems:
        raise malformed_records_error(source, problems, len(examples) + len(problems))
    return examples
