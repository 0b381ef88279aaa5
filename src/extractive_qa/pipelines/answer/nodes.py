"""Answer new questions with the fine-tuned model, as evaluation does."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import datasets
import pandas as pd

from extractive_qa.qa.answering import QUESTION_FEATURES, answer_questions
from extractive_qa.qa.spans import span_settings
from extractive_qa.qa.windows import window_settings
from extractive_qa.qa_model import QAModel

ANSWER_COLUMNS = ("id", "question", "answer", "score", "answer_start", "answer_end")


def _text_column(questions: pd.DataFrame, column: str, ids: list[str]) -> list[str]:
    values = questions[column]
    blank = [
        example_id
        for example_id, value in zip(ids, values, strict=True)
        if not isinstance(value, str) or not value.strip()
    ]
    if blank:
        raise ValueError(
            f"questions: {len(blank)} rows have an empty or non-text '{column}' "
            f"(ids {blank[:5]}); fill them in or remove those rows."
        )
    return list(values)


def to_question_dataset(questions: pd.DataFrame) -> datasets.Dataset:
    """A questions table (``question``, ``context``, optional ``id``) -> a dataset
    with string ids (row numbers from 1 where ``id`` is absent)."""
    missing = [c for c in ("question", "context") if c not in questions.columns]
    if missing:
        raise ValueError(
            f"questions: the table needs columns 'question' and 'context' (and "
            f"optionally 'id'); missing {missing} (columns: "
            f"{list(questions.columns)}). Check the file the catalog entry "
            "'questions' points at."
        )
    if "id" in questions.columns:
        ids = [str(value) for value in questions["id"]]
    else:
        ids = [str(row) for row in range(1, len(questions) + 1)]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(
            f"questions: ids must be unique; repeated: {duplicated[:5]}. Give each "
            "question its own id, or drop the 'id' column to number rows."
        )
    return datasets.Dataset.from_dict(
        {
            "id": ids,
            "question": _text_column(questions, "question", ids),
            "context": _text_column(questions, "context", ids),
        },
        features=QUESTION_FEATURES,
    )


def answer(
    questions: pd.DataFrame,
    fine_tuned_model: QAModel,
    tokenization: dict[str, Any],
    inference: dict[str, Any],
    postprocessing: dict[str, Any],
) -> pd.DataFrame:
    """Questions with contexts + model -> answer, score and character offsets."""
    answers = answer_questions(
        to_question_dataset(questions),
        fine_tuned_model,
        window_settings(tokenization),
        span_settings(postprocessing),
        batch_size=inference["batch_size"],
        device=inference["device"],
    )
    return pd.DataFrame([asdict(a) for a in answers], columns=list(ANSWER_COLUMNS))
