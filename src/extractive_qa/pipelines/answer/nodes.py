"""Answer new questions with the fine-tuned model, as evaluation does."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd

from extractive_qa.qa.answering import (
    AnswerSettings,
    answer_questions,
    to_question_dataset,
)
from extractive_qa.qa_model import QAModel

ANSWER_COLUMNS = ("id", "question", "answer", "score", "answer_start", "answer_end")


def answer(
    questions: pd.DataFrame,
    fine_tuned_model: QAModel,
    tokenization: dict[str, Any],
    inference: dict[str, Any],
    postprocessing: dict[str, Any],
    version_2_with_negative: bool,
) -> pd.DataFrame:
    """Questions with contexts + model -> answer, score and character offsets,
    decoded as the postprocess node decodes (an empty answer in SQuAD v2 mode
    when the null score wins)."""
    answers = answer_questions(
        to_question_dataset(questions),
        fine_tuned_model,
        AnswerSettings.from_params(
            tokenization, postprocessing, version_2_with_negative
        ),
        chunk_size=tokenization["chunk_size"],
        batch_size=inference["batch_size"],
        device=inference["device"],
    )
    return pd.DataFrame([asdict(a) for a in answers], columns=list(ANSWER_COLUMNS))
