"""Windows -> span logits -> answers: the one way this project decodes, used
by the predict, postprocess and rank_answers nodes, the evaluation during
training, the benchmark, and answering new questions (the answer node and
command)."""

from __future__ import annotations

import datasets

from extractive_qa.gc_pause import collector_paused_during
from extractive_qa.qa.fingerprint import (
    check_same,
    check_value,
    examples_fingerprint,
    read_stamp,
    stamp,
    tokenizer_fingerprint,
)
from extractive_qa.qa.nbest import (
    ExampleCandidates,
    answer_probability,
    nbest_records,
    rank_spans,
)
from extractive_qa.qa.spans import Span, SpanSettings, best_spans
from extractive_qa.qa.tables import arrow_columns, column_list
from extractive_qa.qa.window_logits import WindowArrays, window_arrays
from extractive_qa.qa_model import QAModel


def predict_logits(
    validation_features: datasets.Dataset,
    fine_tuned_model: QAModel,
    batch_size: int,
    device: str,
) -> datasets.Dataset:
    """Validation windows + fine-tuned model -> start/end logits per window,
    stamped with the windows' fingerprint."""
    fingerprint = read_stamp(validation_features)
    check_value(
        "tokenizer",
        "validation_features",
        fingerprint and fingerprint.tokenizer,
        "fine_tuned_model",
        tokenizer_fingerprint(fine_tuned_model.tokenizer),
        "Rebuild the windows with the model's tokenizer: "
        "`kedro run --from-nodes=tokenize_validation`.",
    )
    # torch is imported when a model runs, not when the pipelines are listed.
    from extractive_qa.qa.inference import predict_window_logits

    logits = predict_window_logits(
        fine_tuned_model.model,
        validation_features,
        pad_token_id=fine_tuned_model.tokenizer.pad_token_id,
        batch_size=batch_size,
        device=device,
        name="validation_features",
    )
    if fingerprint is not None:
        stamp(logits, fingerprint)
    return logits


def _contexts(examples: datasets.Dataset) -> dict[str, str]:
    table = arrow_columns(examples, ["id", "context"])
    return dict(zip(table["id"].to_pylist(), table["context"].to_pylist(), strict=True))


def chosen_spans(
    example_ids: list[str],
    feature_example_ids: list[str],
    windows: WindowArrays,
    settings: SpanSettings,
    version_2_with_negative: bool,
    null_score_diff_threshold: float,
    ranked: dict[str, ExampleCandidates] | None = None,
) -> dict[str, Span | None]:
    """Per example the span that is its answer: the best span over its windows,
    or None when no span is valid or, with ``version_2_with_negative``, when
    the null score beats the best span by more than
    ``null_score_diff_threshold``. v2 mode reads ``ranked`` (``rank_spans`` of
    the same windows) when the caller has it."""
    if not version_2_with_negative:
        return best_spans(example_ids, feature_example_ids, windows, settings)
    if ranked is None:
        ranked = rank_spans(example_ids, feature_example_ids, windows, settings)
    # No valid span means no answer, whatever the threshold (even +inf).
    return {
        example_id: None
        if not candidates.spans or candidates.null_odds > null_score_diff_threshold
        else candidates.spans[0]
        for example_id, candidates in ranked.items()
    }


def chosen_probabilities(
    ranked: dict[str, ExampleCandidates], chosen: dict[str, Span | None]
) -> dict[str, float | None]:
    """Per example the probability of its chosen answer (from ``chosen_spans``)
    among its ranked candidates (from ``rank_spans``):
    ``nbest.answer_probability``."""
    return {
        example_id: answer_probability(ranked[example_id], span)
        for example_id, span in chosen.items()
    }


@collector_paused_during
def decode_answers(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_logits: datasets.Dataset,
    settings: SpanSettings,
    version_2_with_negative: bool,
    null_score_diff_threshold: float,
) -> dict[str, str]:
    """Examples, windows and their logits -> ``{example id: answer text}``; ""
    where ``chosen_spans`` finds no answer."""
    check_inputs_match(validation_examples, validation_features, validation_logits)
    contexts = _contexts(validation_examples)
    spans = chosen_spans(
        column_list(validation_examples, "id"),
        column_list(validation_features, "example_id"),
        window_arrays(validation_features, validation_logits),
        settings,
        version_2_with_negative,
        null_score_diff_threshold,
    )
    return {
        example_id: ""
        if span is None
        else contexts[example_id][span.char_start : span.char_end]
        for example_id, span in spans.items()
    }


@collector_paused_during
def ranked_answers(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_logits: datasets.Dataset,
    settings: SpanSettings,
    version_2_with_negative: bool,
    null_score_diff_threshold: float,
) -> dict[str, dict]:
    """Examples, windows and logits -> ``validation_nbest`` (top answers with
    offsets, score, probability), ``validation_null_odds`` (null score minus
    best span score; null when no span is valid) and
    ``validation_probabilities`` (the probability of the answer
    ``decode_answers`` gives, see ``nbest.answer_probability``)."""
    check_inputs_match(validation_examples, validation_features, validation_logits)
    windows = window_arrays(validation_features, validation_logits)
    contexts = _contexts(validation_examples)
    example_ids = column_list(validation_examples, "id")
    feature_example_ids = column_list(validation_features, "example_id")
    ranked = rank_spans(example_ids, feature_example_ids, windows, settings)
    chosen = chosen_spans(
        example_ids,
        feature_example_ids,
        windows,
        settings,
        version_2_with_negative,
        null_score_diff_threshold,
        ranked,
    )
    nbest = {
        example_id: nbest_records(
            candidates,
            contexts[example_id],
            settings.n_best_size,
            with_null=version_2_with_negative,
        )
        for example_id, candidates in ranked.items()
    }
    null_odds = {
        example_id: candidates.null_odds if candidates.spans else None
        for example_id, candidates in ranked.items()
    }
    return {
        "validation_nbest": nbest,
        "validation_null_odds": null_odds,
        "validation_probabilities": chosen_probabilities(ranked, chosen),
    }


def check_inputs_match(
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    validation_logits: datasets.Dataset,
) -> None:
    """Stop when the logits were predicted for other windows, or the windows
    were cut from other examples."""
    features_fingerprint = read_stamp(validation_features)
    check_same(
        "validation_logits",
        read_stamp(validation_logits),
        "validation_features",
        features_fingerprint,
        "The logits were predicted for other windows; rerun "
        "`kedro run --from-nodes=predict` (with the stages on separate machines: "
        "`kedro run --pipelines=train` on the train machine, then "
        "`--pipelines=report`).",
    )
    check_value(
        "examples",
        "validation_features",
        features_fingerprint and features_fingerprint.examples,
        "validation_examples",
        examples_fingerprint(validation_examples),
        "The windows were cut from other examples; rerun "
        "`kedro run --from-nodes=tokenize_validation`.",
    )
