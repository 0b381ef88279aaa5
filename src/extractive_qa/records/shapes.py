"""Bring any SQuAD-format source to one table of examples.

Three shapes are accepted, so switching source is a catalog change only:
a Hugging Face ``datasets.Dataset`` (``squad_kor_v1`` and friends), the nested
SQuAD/KorQuAD JSON (``{"data": [{"title", "paragraphs": [...]}]}``) and a flat
pandas table with one row per question.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import datasets
import numpy as np
import pandas as pd

from extractive_qa.records.fields import (
    Malformed,
    Problem,
    answer_lists,
    cell_text,
    text_field,
)

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
        if "data" in raw and not isinstance(raw["data"], list):
            return (
                "a SQuAD/KorQuAD JSON document needs a top-level 'data' list of "
                f"articles; its 'data' is {_kind(raw['data'])}."
            )
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


NESTING = (
    "SQuAD JSON nests {'data': [{'title', 'paragraphs': [{'context', 'qas': "
    "[{'id', 'question', 'answers': [...]}]}]}]; an article or paragraph that "
    "breaks it counts as one record, and skipping it drops all its questions."
)
NESTING_KINDS = ("not an object", "without a 'paragraphs' list", "without a 'qas' list")
ANSWERS = (
    "Each answer needs 'text' (a string) and 'answer_start' (the character "
    "offset where the text begins in the context, a whole number of at least 0)."
)


def malformed_records_error(
    source: str, problems: list[Problem], total: int
) -> MalformedRecordsError:
    nested = sum(p.kind in NESTING_KINDS for p in problems)
    hints = [NESTING] * (nested > 0) + [ANSWERS] * (nested < len(problems))
    return MalformedRecordsError(
        source,
        f"{len(problems)} of {total} records are malformed; {listed(problems)}\n"
        + " ".join(hints)
        + " Fix these records in the source, or set data_loading.on_invalid: "
        "skip to drop them.",
    )


PROBLEMS_SHOWN = 10


def listed(problems: list[Problem], shown: int = PROBLEMS_SHOWN) -> str:
    """'the first N:' and one indented line per problem."""
    first = problems[:shown]
    return f"the first {len(first)}:\n" + "\n".join(
        f"  {p.record}: {p.detail}" for p in first
    )


def _squad_record_label(qa: dict, article: int, paragraph: int, question: int) -> str:
    place = f"article {article}, paragraph {paragraph}"
    if cell_text(qa.get("id")):
        return f"id {str(qa['id'])!r} ({place})"
    return f"{place}, question {question} (no id)"


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string"}
    return names.get(type(value), f"a {type(value).__name__}")


def _nesting_problem(value: Any, key: str | None, place: str) -> Problem | None:
    """Why ``value`` is not an object holding a list under ``key`` (any object
    when ``key`` is None), as the SQuAD layout nests them; None when it is."""
    if not isinstance(value, dict):
        return Problem(place, "not an object", f"is {_kind(value)}, not an object")
    if key is None or isinstance(value.get(key), list):
        return None
    if key in value:
        detail = f"{key!r} is {_kind(value[key])}, not a list"
    else:
        detail = f"has no {key!r} list (keys: {sorted(map(str, value))})"
    return Problem(place, f"without a {key!r} list", detail)


def _rows_from_squad_json(document: dict[str, Any]) -> tuple[list[dict], list[Problem]]:
    rows, problems = [], []
    for a, article in enumerate(document["data"]):
        problem = _nesting_problem(article, "paragraphs", f"article {a}")
        if problem:
            problems.append(problem)
            continue
        for p, paragraph in enumerate(article["paragraphs"]):
            place = f"article {a}, paragraph {p}"
            problem = _nesting_problem(paragraph, "qas", place)
            if problem:
                problems.append(problem)
                continue
            for q, qa in enumerate(paragraph["qas"]):
                problem = _nesting_problem(qa, None, f"{place}, question {q}")
                if problem:
                    problems.append(problem)
                    continue
                try:
                    answers = qa.get("answers")
                    answers = [] if answers is None else answers
                    impossible = qa.get("is_impossible")
                    if impossible is not None and not isinstance(impossible, bool):
                        raise Malformed(
                            "is_impossible not true or false",
                            f"is_impossible is {impossible!r}; write true or false",
                        )
                    if not isinstance(answers, list):
                        raise Malformed(
                            "answers not a list",
                            f"answers is {answers!r}, not a list of answers",
                        )
                    if qa.get("is_impossible") is True and answers:
                        raise Malformed(
                            "is_impossible with answers",
                            f"is_impossible is true, yet it has {len(answers)} "
                            "answers; empty its answers (SQuAD v2 keeps them as "
                            "plausible_answers) or set is_impossible to false",
                        )
                    rows.append(
                        {
                            "id": cell_text(qa.get("id")),
                            "title": str(article.get("title") or ""),
                            "context": text_field(paragraph, "context"),
                            "question": text_field(qa, "question"),
                            "answers": answer_lists(answers),
                        }
                    )
                except Malformed as bad:
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
                raise Malformed(
                    "answers not valid JSON", f"answers {answers[:60]!r} is not JSON"
                ) from None
        if answers is None or (isinstance(answers, float) and pd.isna(answers)):
            return {"text": [], "answer_start": []}
        if not isinstance(answers, dict) or not {"text", "answer_start"} <= set(
            answers
        ):
            raise Malformed(
                "answers without text or answer_start",
                f"answers is {answers!r}; it needs 'text' and 'answer_start' lists",
            )
        texts, starts = list(answers["text"]), list(answers["answer_start"])
        if len(texts) != len(starts):
            # Left for the record checks, which name both lengths.
            return {"text": [str(t) for t in texts], "answer_start": starts}
        return answer_lists(
            [{"text": t, "answer_start": s} for t, s in zip(texts, starts, strict=True)]
        )
    text, start = row["answer_text"], row.get("answer_start")
    blank = pd.isna(text) or (isinstance(text, str) and not text.strip())
    if blank and start is not None and pd.notna(start) and str(start).strip():
        raise Malformed(
            "answer_start without answer_text",
            f"answer_start is {start!r} but answer_text is empty; give the text, "
            "or leave both empty for no answer (a CSV reader turns 'None', 'NA' "
            "or 'null' into empty cells unless told not to: keep_default_na: "
            "false in the entry's load_args)",
        )
    if blank:
        return {"text": [], "answer_start": []}
    if isinstance(text, int | np.integer) and not isinstance(text, bool):
        text = str(text)  # a column of answers that are all numbers
    return answer_lists([{"text": text, "answer_start": start}])


def _rows_from_table(table: pd.DataFrame) -> tuple[list[dict], list[Problem]]:
    rows, problems = [], []
    has_title = "title" in table.columns
    for position, (_, row) in enumerate(table.iterrows()):
        try:
            rows.append(
                {
                    # A blank cell is empty text, not "nan".
                    "id": cell_text(row["id"]),
                    "title": cell_text(row["title"]) if has_title else "",
                    "context": cell_text(row["context"]),
                    "question": cell_text(row["question"]),
                    "answers": _answers_from_row(row),
                }
            )
        except Malformed as bad:
            label = f"row {position} (id {str(row['id'])!r})"
            problems.append(Problem(label, bad.kind, bad.detail))
    return rows, problems


def _is_flat(data: Any) -> bool:
    """Whether ``data`` is a list of question records rather than articles."""
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(r, dict) and "paragraphs" not in r for r in data)
        and all("question" in r and "context" in r for r in data)
    )


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
    if isinstance(raw, dict) and _is_flat(raw.get("data")):
        # {"data": [{"id", "question", "context", "answers"}, ...]}, as
        # datasets' to_json writes a split under a field.
        rows, problems = _rows_from_table(pd.DataFrame(raw["data"]))
    elif isinstance(raw, dict):
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
