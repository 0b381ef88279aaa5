"""Answer normalisation and EM/F1 scoring for SQuAD v1 and KorQuAD 1.0.

Pure functions over strings and records; the evaluate modules next to this file
only wrap them. The rules follow the official evaluation scripts so numbers are
comparable with published results.
"""

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypedDict

AnswerScorer = Callable[[str, str], float]

_PUNCTUATION = frozenset(string.punctuation)
_ENGLISH_ARTICLES = re.compile(r"\b(a|an|the)\b")
# KorQuAD turns quotes and brackets into spaces *before* stripping punctuation, so
# "서울(특별시)" keeps a word boundary that plain removal would erase.
_KORQUAD_SPACED = str.maketrans(dict.fromkeys("'\"《》<>〈〉()‘’", " "))


class QAScores(TypedDict):
    """Corpus scores in percent (0..100), keyed as evaluate's squad metric does."""

    exact_match: float
    f1: float


def _strip_punctuation(text: str) -> str:
    return "".join(char for char in text if char not in _PUNCTUATION)


def normalize_squad_answer(text: str) -> str:
    """Lower-case, drop punctuation and English articles, collapse whitespace."""
    text = _strip_punctuation(text.lower())
    return " ".join(_ENGLISH_ARTICLES.sub(" ", text).split())


def normalize_korquad_answer(text: str) -> str:
    """Space out quotes/brackets, drop punctuation, lower-case, collapse spaces."""
    text = _strip_punctuation(text.translate(_KORQUAD_SPACED)).lower()
    return " ".join(text.split())


def _overlap_f1(predicted_units: Sequence[str], gold_units: Sequence[str]) -> float:
    # As the official v1 scripts: no shared unit is F1 0, even when both sides
    # normalise to nothing (EM calls those equal). SQuAD v2 scores empty sides
    # its own way, in scoring_v2.
    overlap = sum((Counter(predicted_units) & Counter(gold_units)).values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(predicted_units)
    recall = overlap / len(gold_units)
    return 2 * precision * recall / (precision + recall)


def squad_exact_match(prediction: str, gold: str) -> float:
    """1.0 when the SQuAD-normalised strings are equal, else 0.0."""
    return float(normalize_squad_answer(prediction) == normalize_squad_answer(gold))


def squad_f1(prediction: str, gold: str) -> float:
    """Token-level F1 (0..1) over whitespace tokens of the normalised strings."""
    return _overlap_f1(
        normalize_squad_answer(prediction).split(),
        normalize_squad_answer(gold).split(),
    )


def korquad_exact_match(prediction: str, gold: str) -> float:
    """1.0 when the KorQuAD-normalised strings are equal, else 0.0."""
    return float(normalize_korquad_answer(prediction) == normalize_korquad_answer(gold))


def korquad_f1(prediction: str, gold: str) -> float:
    """Character-level F1 (0..1) of the normalised strings, spaces ignored.

    Characters rather than tokens because Korean attaches particles to words:
    "방배동의" against gold "방배동" still earns partial credit.
    """
    return _overlap_f1(
        list("".join(normalize_korquad_answer(prediction).split())),
        list("".join(normalize_korquad_answer(gold).split())),
    )


def _predictions_by_id(predictions: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    by_id: dict[str, str] = {}
    for record in predictions:
        question_id = record["id"]
        if question_id in by_id:
            raise ValueError(
                f"Prediction id {question_id!r} appears more than once; "
                "keep one prediction per question."
            )
        by_id[question_id] = record["prediction_text"]
    return by_id


def score_predictions(
    predictions: Iterable[Mapping[str, Any]],
    references: Iterable[Mapping[str, Any]],
    exact_fn: AnswerScorer,
    f1_fn: AnswerScorer,
) -> QAScores:
    """Average the best-over-gold EM and F1 of each question, in percent.

    predictions: records {"id", "prediction_text"}; references: records
    {"id", "answers": {"text": [...], ...}}, the shapes evaluate's squad uses.
    Every reference needs exactly one prediction and vice versa.
    """
    predicted = _predictions_by_id(predictions)
    exact_total = f1_total = 0.0
    seen: set[str] = set()
    for reference in references:
        question_id = reference["id"]
        if question_id in seen:
            raise ValueError(f"Reference id {question_id!r} appears more than once.")
        seen.add(question_id)
        if question_id not in predicted:
            raise ValueError(
                f"Reference id {question_id!r} has no prediction; "
                "predict every question that is scored."
            )
        gold_answers = reference["answers"]["text"]
        if not gold_answers:
            raise ValueError(
                f"Reference id {question_id!r} has no gold answers; unanswerable "
                "questions need a SQuAD v2 style metric: set "
                "version_2_with_negative: true (or run with --env squad_v2)."
            )
        prediction = predicted[question_id]
        exact_total += max(exact_fn(prediction, gold) for gold in gold_answers)
        f1_total += max(f1_fn(prediction, gold) for gold in gold_answers)

    unmatched = sorted(predicted.keys() - seen)
    if unmatched:
        raise ValueError(
            f"Prediction ids {unmatched[:5]} are not in the references "
            f"({len(unmatched)} in all); score against the split they came from."
        )
    if not seen:
        raise ValueError("No references to score; pass at least one question.")
    return QAScores(
        exact_match=100.0 * exact_total / len(seen),
        f1=100.0 * f1_total / len(seen),
    )
