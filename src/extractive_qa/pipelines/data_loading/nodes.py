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
import pandas as pd

from extractive_qa.pipelines.data_loading.validation import validate_examples

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


def _rows_from_squad_json(document: dict[str, Any]) -> list[dict]:
    rows = []
    for article in document["data"]:
        for paragraph in article.get("paragraphs", []):
            for qa in paragraph.get("qas", []):
                answers = qa.get("answers", [])
                rows.append(
                    {
                        "id": str(qa.get("id", "")),
                        "title": article.get("title", ""),
                        "context": paragraph.get("context", ""),
                        "question": qa.get("question", ""),
                        "answers": {
                            "text": [a["text"] for a in answers],
                            "answer_start": [int(a["answer_start"]) for a in answers],
                        },
                    }
                )
    return rows


def _answers_from_row(row: pd.Series) -> dict[str, list]:
    if "answers" in row.index:
        answers = row["answers"]
        if isinstance(answers, str):
            answers = json.loads(answers)
        if answers is None or (isinstance(answers, float) and pd.isna(answers)):
            return {"text": [], "answer_start": []}
        return {
            "text": [str(t) for t in answers["text"]],
            "answer_start": [int(s) for s in answers["answer_start"]],
        }
    if pd.notna(row["answer_text"]):
        return {
            "text": [str(row["answer_text"])],
            "answer_start": [int(row["answer_start"])],
        }
    return {"text": [], "answer_start": []}


def _rows_from_table(table: pd.DataFrame) -> list[dict]:
    return [
        {
            "id": str(row["id"]),
            "title": str(row["title"])
            if "title" in table.columns and pd.notna(row["title"])
            else "",
            "context": str(row["context"]),
            "question": str(row["question"]),
            "answers": _answers_from_row(row),
        }
        for _, row in table.iterrows()
    ]


def to_examples(raw: Any, source: str) -> datasets.Dataset:
    """One source in any accepted shape -> examples with the squad_kor_v1 schema."""
    problem = container_problem(raw)
    if problem:
        raise ValueError(f"{source}: {problem}")
    if isinstance(raw, datasets.Dataset):
        if "title" not in raw.column_names:
            raw = raw.add_column("title", [""] * len(raw))
        return raw.select_columns(list(EXAMPLE_FEATURES)).cast(EXAMPLE_FEATURES)
    if isinstance(raw, dict):
        rows = _rows_from_squad_json(raw)
    else:
        rows = _rows_from_table(raw)
    return datasets.Dataset.from_list(rows, features=EXAMPLE_FEATURES)


def load(
    raw_train: Any, raw_validation: Any, data_loading: dict[str, Any]
) -> dict[str, Any]:
    """Raw training and validation sources -> checked train and validation
    examples and a data-quality report per split."""
    outputs: dict[str, Any] = {}
    for split, raw in (("train", raw_train), ("validation", raw_validation)):
        examples, report = validate_examples(
            to_examples(raw, f"raw_{split}"), f"raw_{split}", data_loading["on_invalid"]
        )
        outputs[f"{split}_examples"] = examples
        outputs[f"{split}_data_quality"] = report
    logger.info(
        "loaded %d training and %d validation examples",
        len(outputs["train_examples"]),
        len(outputs["validation_examples"]),
    )
    return outputs
