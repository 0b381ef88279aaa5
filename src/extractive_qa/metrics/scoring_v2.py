"""SQuAD v2 scoring: questions may have no answer, and the empty string says so.

Follows the official SQuAD v2.0 evaluation script. A question is answerable
when it has gold answers. Gold answers that normalise to nothing are dropped,
and a question left without any expects the empty prediction. Where either side
normalises to nothing, F1 is whether both do. ``best_exact``/``best_f1`` search
the no-answer threshold that would have scored best, counting any non-empty
prediction as an answer. The exact/F1 rules per answer are passed in, so the same
scheme serves the token-level SQuAD rules and the character-level KorQuAD ones.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from extractive_qa.metrics.scoring import AnswerScorer

Normalizer = Callable[[str], str]


def _question_scores(
    prediction: str,
    gold_answers: list[str],
    normalize: Normalizer,
    exact_fn: AnswerScorer,
    f1_fn: AnswerScorer,
) -> tuple[float, float]:
    golds = [gold for gold in gold_answers if normalize(gold)] or [""]
    predicted = normalize(prediction)

    def f1(gold: str) -> float:
        # Where either side normalises to nothing, F1 is whether both do.
        if not predicted or not normalize(gold):
            return float(predicted == normalize(gold))
        return f1_fn(prediction, gold)

    return (
        max(exact_fn(prediction, gold) for gold in golds),
        max(f1(gold) for gold in golds),
    )


def _best_threshold(
    raw: dict[str, float],
    no_answer_scores: dict[str, float],
    answered: dict[str, bool],
    has_answer: dict[str, bool],
) -> tuple[float, float]:
    """Best total score (percent) and the no-answer score threshold reaching it.

    Start with every question predicted unanswerable, then answer questions in
    order of rising no-answer score; the official script's find_best_thresh.
    """
    score = best = float(sum(not has for has in has_answer.values()))
    threshold = 0.0
    for question_id in sorted(raw, key=lambda qid: no_answer_scores[qid]):
        if has_answer[question_id]:
            score += raw[question_id]
        elif answered[question_id]:
            score -= 1
        if score > best:
            best, threshold = score, no_answer_scores[question_id]
    return 100.0 * best / len(raw), threshold


def _mean(values: list[float]) -> float:
    return 100.0 * sum(values) / len(values) if values else 0.0


def score_with_no_answer(
    predictions: Iterable[Mapping[str, Any]],
    references: Iterable[Mapping[str, Any]],
    normalize: Normalizer,
    exact_fn: AnswerScorer,
    f1_fn: AnswerScorer,
) -> dict[str, float]:
    """Exact/F1 overall and split into answerable and unanswerable questions.

    predictions: {"id", "prediction_text", "no_answer_probability"} records (the
    last may be any score where higher means "more likely no answer", such as
    the null odds); references: {"id", "answers": {"text": [...]}} records, an
    empty text list for an unanswerable question. Percentages, as the official
    script reports them; ``*_total`` are counts.
    """
    predicted = {}
    no_answer_scores = {}
    for record in predictions:
        if record["id"] in predicted:
            raise ValueError(
                f"Prediction id {record['id']!r} appears more than once; "
                "keep one prediction per question."
            )
        predicted[record["id"]] = record["prediction_text"]
        no_answer_scores[record["id"]] = float(record.get("no_answer_probability", 0))
    exact: dict[str, float] = {}
    f1: dict[str, float] = {}
    has_answer: dict[str, bool] = {}
    for reference in references:
        question_id = reference["id"]
        if question_id in exact:
            raise ValueError(f"Reference id {question_id!r} appears more than once.")
        if question_id not in predicted:
            raise ValueError(
                f"Reference id {question_id!r} has no prediction; "
                "predict every question that is scored."
            )
        golds = list(reference["answers"]["text"])
        # As the official script: answerable when it has any gold answer, even
        # one that normalises to nothing (the empty prediction is then right).
        has_answer[question_id] = bool(golds)
        exact[question_id], f1[question_id] = _question_scores(
            predicted[question_id], golds, normalize, exact_fn, f1_fn
        )
    unmatched = sorted(predicted.keys() - exact.keys())
    if unmatched:
        raise ValueError(
            f"Prediction ids {unmatched[:5]} are not in the references "
            f"({len(unmatched)} in all); score against the split they came from."
        )
    if not exact:
        raise ValueError("No references to score; pass at least one question.")
    # The threshold search counts any non-empty prediction as an answer.
    answered = {qid: bool(predicted[qid]) for qid in exact}
    has = [qid for qid in exact if has_answer[qid]]
    has_not = [qid for qid in exact if not has_answer[qid]]
    scores_subset = {qid: no_answer_scores[qid] for qid in exact}
    best_exact, best_exact_thresh = _best_threshold(
        exact, scores_subset, answered, has_answer
    )
    best_f1, best_f1_thresh = _best_threshold(f1, scores_subset, answered, has_answer)
    return {
        "exact": _mean(list(exact.values())),
        "f1": _mean(list(f1.values())),
        "total": float(len(exact)),
        "HasAns_exact": _mean([exact[qid] for qid in has]),
        "HasAns_f1": _mean([f1[qid] for qid in has]),
        "HasAns_total": float(len(has)),
        "NoAns_exact": _mean([exact[qid] for qid in has_not]),
        "NoAns_f1": _mean([f1[qid] for qid in has_not]),
        "NoAns_total": float(len(has_not)),
        "best_exact": best_exact,
        "best_exact_thresh": best_exact_thresh,
        "best_f1": best_f1,
        "best_f1_thresh": best_f1_thresh,
    }
