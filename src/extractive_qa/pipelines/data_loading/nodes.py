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


def _rows_from_squad_json(document: dict[str, Any], source: str) -> list[dict]:
    if "data" not in document:
        raise ValueError(
            f"{source}: a SQuAD/KorQuAD JSON document needs a top-level 'data' list "
            f"of articles; found keys {sorted(document)}."
        )
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


def _rows_from_table(table: pd.DataFrame, source: str) -> list[dict]:
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if "answers" not in table.columns:
        missing += [
            c for c in ("answer_text", "answer_start") if c not in table.columns
        ]
    if missing:
        raise ValueError(
            f"{source}: a flat table needs columns {list(REQUIRED_COLUMNS)} plus "
            "either 'answers' ({text: [...], answer_start: [...]}) or "
            "'answer_text' and "
            f"'answer_start'; missing {missing} (columns: {list(table.columns)})."
        )
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
    if isinstance(raw, datasets.DatasetDict):
        raise ValueError(
            f"{source} loaded as a DatasetDict with splits {list(raw)}; select one "
            "in the catalog, e.g. dataset_kwargs: {split: train} for "
            "huggingface.HFDataset or load_args: {split: train} for Parquet."
        )
    if isinstance(raw, datasets.Dataset):
        missing = [
            c for c in (*REQUIRED_COLUMNS, "answers") if c not in raw.column_names
        ]
        if missing:
            raise ValueError(
                f"{source}: the dataset lacks columns {missing} "
                f"(has {raw.column_names})."
            )
        if "title" not in raw.column_names:
            raw = raw.add_column("title", [""] * len(raw))
        return raw.select_columns(list(EXAMPLE_FEATURES)).cast(EXAMPLE_FEATURES)
    if isinstance(raw, dict):
        rows = _rows_from_squad_json(raw, source)
    elif isinstance(raw, pd.DataFrame):
        rows = _rows_from_table(raw, source)
    else:
        raise ValueError(
            f"{source}: cannot read examples from a {type(raw).__name__}; use a "
            "huggingface.HFDataset, a json.JSONDataset of SQuAD JSON or a pandas table."
        )
    return datasets.Dataset.from_list(rows, features=EXAMPLE_FEATURES)


def load(raw_train: Any, raw_validation: Any) -> dict[str, datasets.Dataset]:
    """Raw training and validation sources -> train and validation examples."""
    train = to_examples(raw_train, "raw_train")
    validation = to_examples(raw_validation, "raw_validation")
    logger.info(
        "loaded %d training and %d validation examples", len(train), len(validation)
    )
    return {"train_examples": train, "validation_examples": validation}
