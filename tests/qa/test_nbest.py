"""n-best lists and null scores: hand-made logits, and equality with the SQuAD v2
post-processing of the Hugging Face example on random windows."""

from __future__ import annotations

import datasets
import numpy as np
import pyarrow as pa
import pytest

from extractive_qa.qa.decoding import chosen_spans
from extractive_qa.qa.nbest import (
    ExampleCandidates,
    answer_probability,
    nbest_records,
    rank_spans,
)
from extractive_qa.qa.spans import Span, SpanSettings, best_spans
from extractive_qa.qa.window_logits import window_arrays

LOW = -10.0


def tables(
    example_ids: list[str], offsets: list[list], starts: list, ends: list
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """Features (nulls outside the context) and logits as the pipeline stores them."""
    features = datasets.Dataset(
        pa.table(
            {
                "example_id": pa.array(example_ids, pa.string()),
                "offset_mapping": pa.array(offsets, pa.list_(pa.list_(pa.int32()))),
            }
        )
    )
    logits = datasets.Dataset(
        pa.table(
            {
                "start_logits": pa.array(starts, pa.list_(pa.float32())),
                "end_logits": pa.array(ends, pa.list_(pa.float32())),
            }
        )
    )
    return features, logits


def window_offsets(n_context: int, first_char: int = 0) -> list:
    """[CLS] q [SEP] context [SEP]; context token k covers 3 characters."""
    context = [[first_char + 4 * k, first_char + 4 * k + 3] for k in range(n_context)]
    return [None] * 3 + context + [None]


def peaked(length: int, peaks: dict[int, float]) -> list[float]:
    logits = [LOW] * length
    for position, value in peaks.items():
        logits[position] = value
    return logits


def test_two_windows_give_a_merged_nbest_and_the_minimum_null_score() -> None:
    offsets = [window_offsets(4), window_offsets(4, first_char=100)]
    # Window 0: CLS 1 + 1 = 2; best span tokens 3..4 (7 + 1 = 8), then 3..5
    # (7 - 2 = 5). Window 1: CLS 0.5 + 0.5 = 1; best span token 5..5 (3 + 3 = 6).
    starts = [peaked(8, {0: 1.0, 3: 7.0}), peaked(8, {0: 0.5, 5: 3.0})]
    ends = [peaked(8, {0: 1.0, 4: 1.0, 5: -2.0}), peaked(8, {0: 0.5, 5: 3.0})]
    features, logits = tables(["e", "e"], offsets, starts, ends)
    settings = SpanSettings(n_best_size=3, max_answer_length=5)

    ranked = rank_spans(
        ["e"], features["example_id"], window_arrays(features, logits), settings
    )

    candidates = ranked["e"]
    assert candidates.null_score == 1.0
    assert candidates.spans == [
        Span(score=8.0, char_start=0, char_end=7),
        Span(score=6.0, char_start=108, char_end=111),
        Span(score=5.0, char_start=0, char_end=11),
    ]
    assert candidates.null_odds == pytest.approx(1.0 - 8.0)


def test_nbest_records_give_text_offsets_and_softmax_probabilities() -> None:
    context = "서울은 대한민국의 수도이다."
    ranked = rank_spans(
        ["e"],
        ["e"],
        window_arrays(
            *tables(
                ["e"],
                [[None, [0, 2], [2, 3], [4, 9], None]],
                [[3.0, 2.0, LOW, 1.0, LOW]],
                [[3.0, 2.0, LOW, 1.0, LOW]],
            )
        ),
        SpanSettings(n_best_size=3, max_answer_length=3),
    )["e"]

    v1 = nbest_records(ranked, context, 3, with_null=False)
    v2 = nbest_records(ranked, context, 3, with_null=True)

    # Spans: 서울 (2 + 2 = 4), 대한민국의 (1 + 1 = 2), 서울...대한민국의 (2 + 1 = 3).
    assert [(r["text"], r["score"]) for r in v1] == [
        ("서울", 4.0),
        ("서울은 대한민국의", 3.0),
        ("대한민국의", 2.0),
    ]
    weights = np.exp([4.0, 3.0, 2.0])
    assert [r["probability"] for r in v1] == pytest.approx(
        list(weights / weights.sum())
    )
    assert (v1[0]["char_start"], v1[0]["char_end"]) == (0, 2)
    # v2: the empty answer at the CLS score 6 leads, and pushes out the third.
    assert [(r["text"], r["char_start"], r["score"]) for r in v2] == [
        ("", None, 6.0),
        ("서울", 0, 4.0),
        ("서울은 대한민국의", 0, 3.0),
    ]
    assert sum(r["probability"] for r in v2) == pytest.approx(1.0)


def reference_v2(
    example_ids,
    feature_example_ids,
    offset_mappings,
    start_logits,
    end_logits,
    settings,
) -> dict[str, tuple[list[tuple[int, int, float]], float]]:
    """The Hugging Face example's v2 post-processing: every valid pair of the
    n-best starts and ends of every window, the minimum CLS score as the null
    score, the n_best_size best answers, and null odds (null - best span)."""
    candidates = {example_id: [] for example_id in example_ids}
    null = dict.fromkeys(example_ids, np.inf)
    for example_id, offsets, starts, ends in zip(
        feature_example_ids, offset_mappings, start_logits, end_logits, strict=True
    ):
        null[example_id] = min(null[example_id], starts[0] + ends[0])
        for start in np.argsort(starts)[-1 : -settings.n_best_size - 1 : -1]:
            for end in np.argsort(ends)[-1 : -settings.n_best_size - 1 : -1]:
                if offsets[start] is None or offsets[end] is None:
                    continue
                if end < start or end - start + 1 > settings.max_answer_length:
                    continue
                candidates[example_id].append(
                    (offsets[start][0], offsets[end][1], starts[start] + ends[end])
                )
    return {
        example_id: (
            sorted(found, key=lambda c: -c[2])[: settings.n_best_size],
            null[example_id],
        )
        for example_id, found in candidates.items()
    }


@pytest.mark.parametrize(
    "settings",
    [
        SpanSettings(n_best_size=20, max_answer_length=30),
        SpanSettings(n_best_size=5, max_answer_length=4),
    ],
    ids=["defaults", "few-candidates-short-answers"],
)
def test_rank_spans_equal_the_reference_v2_post_processing(settings) -> None:
    rng = np.random.default_rng(7)
    example_ids = [f"q{i}" for i in range(40)]
    feature_example_ids, offset_mappings = [], []
    for example_id in example_ids:
        for _ in range(rng.integers(1, 4)):
            widths = rng.integers(1, 5, size=rng.integers(1, 31))
            starts = rng.integers(0, 200) + np.cumsum(widths + 1) - widths - 1
            feature_example_ids.append(example_id)
            offset_mappings.append(
                [None] * int(rng.integers(3, 9))
                + [[int(s), int(s + w)] for s, w in zip(starts, widths, strict=True)]
                + [None]
            )
    start_logits = [
        rng.normal(size=len(o)).astype(np.float32) * 3 for o in offset_mappings
    ]
    end_logits = [
        rng.normal(size=len(o)).astype(np.float32) * 3 for o in offset_mappings
    ]
    features, logits = tables(
        feature_example_ids,
        offset_mappings,
        [s.tolist() for s in start_logits],
        [e.tolist() for e in end_logits],
    )
    windows = window_arrays(features, logits)

    ranked = rank_spans(example_ids, features["example_id"], windows, settings)
    expected = reference_v2(
        example_ids,
        feature_example_ids,
        offset_mappings,
        start_logits,
        end_logits,
        settings,
    )
    best = best_spans(example_ids, features["example_id"], windows, settings)

    for example_id in example_ids:
        spans, null = expected[example_id]
        got = ranked[example_id]
        assert [(s.char_start, s.char_end) for s in got.spans] == [s[:2] for s in spans]
        assert [s.score for s in got.spans] == pytest.approx([s[2] for s in spans])
        assert got.null_score == pytest.approx(float(null))
        # The top of the n-best list is what v1 post-processing answers.
        assert (got.spans[0] if got.spans else None) == best[example_id]
        if spans:
            assert got.null_odds == pytest.approx(float(null) - spans[0][2])
    # Several candidates per example on average: the lists were really ranked.
    assert sum(len(r.spans) for r in ranked.values()) > 2 * len(example_ids)


def test_answer_probability_is_the_softmax_over_spans_and_null_at_the_answer():
    candidates = ExampleCandidates(
        spans=[Span(4.0, 0, 2), Span(2.0, 3, 5)], null_score=1.0
    )
    mass = np.exp(4.0) + np.exp(2.0) + np.exp(1.0)

    assert answer_probability(candidates, candidates.spans[0]) == pytest.approx(
        np.exp(4.0) / mass
    )
    # The empty answer (SQuAD v2, the null chosen) gets the null's share.
    assert answer_probability(candidates, None) == pytest.approx(np.exp(1.0) / mass)
    # Scores far apart neither overflow nor lose the small share.
    far = ExampleCandidates(spans=[Span(900.0, 0, 2)], null_score=880.0)
    assert answer_probability(far, None) == pytest.approx(
        np.exp(-20.0) / (1 + np.exp(-20.0))
    )


def test_answer_probability_without_a_null_or_any_span():
    only_spans = ExampleCandidates(
        spans=[Span(1.0, 0, 2), Span(1.0, 3, 5)], null_score=float("inf")
    )
    assert answer_probability(only_spans, only_spans.spans[1]) == pytest.approx(0.5)
    assert answer_probability(only_spans, None) is None
    nothing = ExampleCandidates(spans=[], null_score=float("inf"))
    assert answer_probability(nothing, None) is None
    null_only = ExampleCandidates(spans=[], null_score=-3.0)
    assert answer_probability(null_only, None) == pytest.approx(1.0)


def test_the_v2_nbest_top_probability_is_the_answer_probability():
    """When every candidate is listed, nbest_records with the null gives the
    leading answer the same probability as answer_probability."""
    candidates = ExampleCandidates(
        spans=[Span(3.0, 0, 2), Span(2.5, 3, 5), Span(-1.0, 6, 7)], null_score=0.5
    )
    records = nbest_records(candidates, "서울과 부산 대구", 4, with_null=True)

    assert records[0]["probability"] == pytest.approx(
        answer_probability(candidates, candidates.spans[0])
    )
    null_record = next(r for r in records if r["char_start"] is None)
    assert null_record["probability"] == pytest.approx(
        answer_probability(candidates, None)
    )


def decode_both_ways(
    starts: list[float], ends: list[float], n_best_size: int
) -> tuple[Span | None, ExampleCandidates]:
    """One window (context at tokens 3..8) of example ``e``, decoded without
    no-answer handling (best span) and with it (n-best list)."""
    offsets = window_offsets(n_context=6)
    features, logits = tables(["e"], [offsets], [starts], [ends])
    windows = window_arrays(features, logits)
    settings = SpanSettings(n_best_size=n_best_size, max_answer_length=30)
    v1 = best_spans(["e"], features["example_id"], windows, settings)["e"]
    v2 = rank_spans(["e"], list(features["example_id"]), windows, settings)["e"]
    return v1, v2


@pytest.mark.parametrize("n_best_size", [2, 20])
def test_tied_logits_give_the_same_span_with_and_without_no_answer(n_best_size):
    # Three starts tie (tokens 4, 5, 6), and three ends (5, 6, 7): more than
    # two, so n_best_size 2 keeps only some of them. Both modes take the
    # earliest start and end, the first maxima.
    starts = peaked(10, {4: 3.0, 5: 3.0, 6: 3.0})
    ends = peaked(10, {5: 5.0, 6: 5.0, 7: 5.0})

    v1, v2 = decode_both_ways(starts, ends, n_best_size)

    assert v1 == v2.spans[0] == Span(score=8.0, char_start=4, char_end=11)


@pytest.mark.parametrize("n_best_size", [2, 20])
def test_nan_logits_rank_last_with_and_without_no_answer(n_best_size):
    # More NaN starts than n_best_size 2 keeps: the finite ones still count.
    starts = peaked(10, {3: float("nan"), 4: float("nan"), 5: float("nan"), 6: 2.0})
    ends = peaked(10, {7: 4.0, 8: float("nan")})

    v1, v2 = decode_both_ways(starts, ends, n_best_size)

    assert v1 == v2.spans[0] == Span(score=6.0, char_start=12, char_end=19)


def test_the_null_score_is_read_at_each_windows_cls_wherever_it_is() -> None:
    # Two XLNet-style windows: context, [SEP], question, [SEP], [CLS] last.
    offsets = [[[0, 3], [4, 7], None, None, None, None]] * 2
    starts = [peaked(6, {0: 2.0, 5: 4.0}), peaked(6, {0: 2.0, 5: 3.0})]
    ends = [peaked(6, {0: 2.0, 5: 4.0}), peaked(6, {0: 2.0, 5: 3.0})]
    features, logits = tables(["e", "e"], offsets, starts, ends)
    features = features.add_column("cls_index", [5, 5])
    settings = SpanSettings(n_best_size=3, max_answer_length=5)
    windows = window_arrays(features, logits)

    candidates = rank_spans(["e"], ["e", "e"], windows, settings)["e"]
    v2 = chosen_spans(["e"], ["e", "e"], windows, settings, True, 0.0)

    # The null is the smaller CLS score (3 + 3), above the best span (2 + 2).
    assert candidates.null_score == 6.0
    assert candidates.spans[0] == Span(score=4.0, char_start=0, char_end=3)
    assert v2 == {"e": None}


def test_features_without_cls_index_read_the_null_at_the_first_token() -> None:
    features, logits = tables(
        ["e"], [window_offsets(2)], [peaked(6, {0: 1.5})], [peaked(6, {0: 0.5})]
    )

    candidates = rank_spans(
        ["e"], ["e"], window_arrays(features, logits), SpanSettings(3, 5)
    )["e"]

    assert candidates.null_score == 2.0


@pytest.mark.parametrize("threshold", [0.0, 1e9, float("inf")])
def test_no_valid_span_is_no_answer_whatever_the_threshold(threshold) -> None:
    # With one candidate each, the best end (token 3) comes before the best
    # start (token 4): no valid span, so the null odds are +inf.
    features, logits = tables(
        ["e"], [window_offsets(3)], [peaked(7, {4: 5.0})], [peaked(7, {3: 5.0})]
    )
    windows = window_arrays(features, logits)

    chosen = chosen_spans(["e"], ["e"], windows, SpanSettings(1, 5), True, threshold)

    assert chosen == {"e": None}
