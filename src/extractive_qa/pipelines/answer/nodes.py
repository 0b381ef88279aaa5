"""Answer new questions with the fine-tuned model, as it was evaluated."""

from __future__ import annotations

from typing import Any

import pandas as pd

from extractive_qa.qa.answer_settings import model_answer_settings
from extractive_qa.qa.answering import (
    ANSWER_COLUMNS,
    answer_questions,
    answers_table,
    to_question_dataset,
)
from extractive_qa.qa_model import QAModel

__all__ = ["ANSWER_COLUMNS", "answer"]


def answer(
    questions: pd.DataFrame,
    fine_tuned_model: QAModel,
    tokenization: dict[str, Any],
    inference: dict[str, Any],
    postprocessing: dict[str, Any],
    version_2_with_negative: bool,
) -> pd.DataFrame:
    """Questions with contexts + model -> answer, score, probability and
    character offsets, decoded with the settings saved with the model but the
    run's null threshold (the run's parameters only for a model saved without
    settings)."""
    answers = answer_questions(
        to_question_dataset(questions),
        fine_tuned_model,
        model_answer_settings(
            fine_tuned_model,
            "fine_tuned_model",
            tokenization,
            postprocessing,
            version_2_with_negative,
        ),
        chunk_size=tokenization["chunk_size"],
        batch_size=inference["batch_size"],
        device=inference["device"],
    )
    return answers_table(answers)
