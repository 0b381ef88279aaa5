"""Answer new questions: the evaluation path (windows, logits, best span) applied
to questions that come without gold answers.

Nothing here is specific to answering: the windows come from
``build_validation_features``, the logits from ``predict_window_logits`` and the
spans from ``best_spans``, so a long context is cut and decoded exactly as it is
during evaluation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import datasets

from extractive_qa.qa.features import build_validation_features
from extractive_qa.qa.inference import predict_window_logits
from extractive_qa.qa.spans import SpanSettings, best_spans, window_arrays
from extractive_qa.qa.windows import WindowSettings
from extractive_qa.qa_model import QAModel

logger = logging.getLogger(__name__)

QUESTION_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "question": datasets.Value("string"),
        "context": datasets.Value("string"),
    }
)


@dataclass(frozen=True)
class Answer:
    """The best span of one question's context; empty text (score None, offsets
    -1) when no window holds a valid span."""

    id: str
    question: str
    answer: str
    score: float | None
    answer_start: int
    answer_end: int


def answer_questions(
    questions: datasets.Dataset,
    qa_model: QAModel,
    window_settings: WindowSettings,
    span_settings: SpanSettings,
    *,
    batch_size: int = 64,
    device: str = "auto",
) -> list[Answer]:
    """Questions with ``id``, ``question``, ``context`` -> their best answers, in
    the questions' order."""
    features = build_validation_features(questions, qa_model.tokenizer, window_settings)
    logits = predict_window_logits(
        qa_model.model,
        features,
        pad_token_id=qa_model.tokenizer.pad_token_id,
        batch_size=batch_size,
        device=device,
    )
    spans = best_spans(
        questions["id"],
        features["example_id"],
        window_arrays(features, logits),
        span_settings,
    )
    answers = []
    for example_id, question, context in zip(
        questions["id"], questions["question"], questions["context"], strict=True
    ):
        span = spans[example_id]
        if span is None:
            answers.append(Answer(example_id, question, "", None, -1, -1))
            continue
        answers.append(
            Answer(
                id=example_id,
                question=question,
                answer=context[span.char_start : span.char_end],
                score=span.score,
                answer_start=span.char_start,
                answer_end=span.char_end,
            )
        )
    logger.info("answered %d questions (%d windows)", len(answers), len(features))
    return answers
