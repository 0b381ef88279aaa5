"""Answer new questions: the evaluation path (windows, logits, answer span)
applied to questions that come without gold answers.

Nothing here is specific to answering: the windows come from
``build_validation_features``, the logits from ``predict_window_logits`` and the
spans from ``chosen_spans``, so a long context is cut and decoded exactly as it
is during evaluation, with the ``AnswerSettings`` saved with the model.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass

import datasets
import pandas as pd

from extractive_qa.qa.answer_settings import AnswerSettings
from extractive_qa.qa.decoding import chosen_probabilities, chosen_spans
from extractive_qa.qa.features import build_validation_features
from extractive_qa.qa.nbest import rank_spans
from extractive_qa.qa.window_logits import window_arrays
from extractive_qa.qa_model import QAModel
from extractive_qa.records.text import clean_text, clean_with_offsets, is_clean

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
    """The chosen span of one question's context, its raw score (start + end
    logit) and its probability (``nbest.answer_probability``). Empty text with
    offsets -1 when there is no answer: score None, and the empty answer's
    probability, the null's share (1.0 when no window holds a valid span)."""

    id: str
    question: str
    answer: str
    score: float | None
    probability: float | None
    answer_start: int
    answer_end: int


def _text_column(
    questions: pd.DataFrame, column: str, ids: list[str], source: str
) -> list[str]:
    values = questions[column]
    blank = [
        example_id
        for example_id, value in zip(ids, values, strict=True)
        # Zero-width characters are removed before answering, so they are blank.
        if not isinstance(value, str) or not clean_text(value).strip()
    ]
    if blank:
        raise ValueError(
            f"{source}: {len(blank)} rows have an empty or non-text '{column}' "
            f"(ids {blank[:5]}); fill them in or remove those rows."
        )
    return list(values)


def _question_ids(questions: pd.DataFrame, source: str) -> list[str]:
    """Each row's id as text: the row number (from 1) where a row has none, and
    a whole number as such (pandas reads ids 1 and none as 1.0 and NaN). An id
    that is a list or an object is refused."""
    if "id" not in questions.columns:
        return [str(row) for row in range(1, len(questions) + 1)]
    ids = []
    for row, value in enumerate(questions["id"], start=1):
        if isinstance(value, (list, dict, tuple)):
            raise ValueError(
                f"{source}: row {row} has the id {value!r}; an id is text or a "
                "whole number."
            )
        if value is None or pd.isna(value):
            ids.append(str(row))
        elif isinstance(value, float) and value.is_integer():
            ids.append(str(int(value)))
        else:
            ids.append(str(value))
    return ids


def to_question_dataset(
    questions: pd.DataFrame, source: str = "questions"
) -> datasets.Dataset:
    """A questions table (``question``, ``context``, optional ``id``) -> a dataset
    with string ids (row numbers from 1 where a row has no ``id``). Errors name
    ``source``: the catalog entry, or the file the answer command read."""
    missing = [c for c in ("question", "context") if c not in questions.columns]
    if missing:
        where = (
            " Check the file the catalog entry 'questions' points at."
            if source == "questions"
            else ""
        )
        raise ValueError(
            f"{source}: the table needs columns 'question' and 'context' (and "
            f"optionally 'id'); missing {missing} (columns: "
            f"{list(questions.columns)}).{where}"
        )
    if questions.empty:
        raise ValueError(
            f"{source}: the table has no rows; give at least one question with "
            "its context."
        )
    ids = _question_ids(questions, source)
    duplicated = sorted(i for i, count in Counter(ids).items() if count > 1)
    if duplicated:
        raise ValueError(
            f"{source}: ids must be unique; repeated: {duplicated[:5]} (a row "
            "without an id is numbered by its row, from 1). Give each question "
            "its own id, or drop the 'id' column to number rows."
        )
    return datasets.Dataset.from_dict(
        {
            "id": ids,
            "question": _text_column(questions, "question", ids, source),
            "context": _text_column(questions, "context", ids, source),
        },
        features=QUESTION_FEATURES,
    )


ANSWER_COLUMNS = (
    "id",
    "question",
    "answer",
    "score",
    "probability",
    "answer_start",
    "answer_end",
)


def answers_table(answers: list[Answer]) -> pd.DataFrame:
    """Answers as a table with ``ANSWER_COLUMNS`` (empty answers included)."""
    return pd.DataFrame([asdict(a) for a in answers], columns=list(ANSWER_COLUMNS))


def answer_questions(
    questions: datasets.Dataset,
    qa_model: QAModel,
    settings: AnswerSettings,
    *,
    chunk_size: int,
    batch_size: int,
    device: str,
) -> list[Answer]:
    """Questions with ``id``, ``question``, ``context`` -> their answers, in the
    questions' order; an empty answer where ``chosen_spans`` finds none.

    Questions and contexts are answered in ``clean_text``'s form, as the
    evaluation examples are; each answer is then the span of the context as
    given (its jamo and zero-width characters included) with offsets into it.
    """
    contexts = [clean_with_offsets(context) for context in questions["context"][:]]
    raw_questions = questions["question"][:]
    if any(c.starts is not None for c in contexts) or not all(
        is_clean(question) for question in raw_questions
    ):
        questions = datasets.Dataset.from_dict(
            {
                "id": questions["id"][:],
                "question": [clean_text(question) for question in raw_questions],
                "context": [context.text for context in contexts],
            },
            features=QUESTION_FEATURES,
        )
    features = build_validation_features(
        questions, qa_model.tokenizer, settings.windows, chunk_size, "the questions"
    )
    # torch is imported when a model runs, not when the pipelines are listed.
    from extractive_qa.qa.inference import predict_window_logits

    logits = predict_window_logits(
        qa_model.model,
        features,
        pad_token_id=qa_model.tokenizer.pad_token_id,
        batch_size=batch_size,
        device=device,
        name="the questions",
    )
    example_ids = questions["id"][:]
    feature_example_ids = features["example_id"][:]
    windows = window_arrays(features, logits)
    ranked = rank_spans(example_ids, feature_example_ids, windows, settings.spans)
    spans = chosen_spans(
        example_ids,
        feature_example_ids,
        windows,
        settings.spans,
        settings.version_2_with_negative,
        settings.null_score_diff_threshold,
        ranked,
    )
    probabilities = chosen_probabilities(ranked, spans)
    answers = []
    for example_id, question, context in zip(
        example_ids, raw_questions, contexts, strict=True
    ):
        span = spans[example_id]
        probability = probabilities[example_id]
        if span is None:
            answers.append(Answer(example_id, question, "", None, probability, -1, -1))
            continue
        start, end = context.raw_span(span.char_start, span.char_end)
        answers.append(
            Answer(
                id=example_id,
                question=question,
                answer=context.raw[start:end],
                score=span.score,
                probability=probability,
                answer_start=start,
                answer_end=end,
            )
        )
    logger.info("answered %d questions (%d windows)", len(answers), len(features))
    return answers
