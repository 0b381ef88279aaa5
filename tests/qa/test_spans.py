"""Span decoding: from window logits to the best character span of each example."""

from __future__ import annotations

import datasets
import numpy as np
import pyarrow as pa
import pytest
from transformers import PreTrainedTokenizerFast

from extractive_qa.qa.features import build_validation_features
from extractive_qa.qa.spans import Span, SpanSettings, best_spans
from extractive_qa.qa.window_logits import window_arrays
from extractive_qa.qa.windows import WindowSettings

OFFSETS_TYPE = pa.list_(pa.list_(pa.int32()))
LOGITS_TYPE = pa.list_(pa.float32())
LOW = -10.0


def feature_table(
    example_ids: list[str], offset_mappings: list[list[list[int] | None]]
) -> datasets.Dataset:
    """Validation features as the pipeline stores them (nulls outside context)."""
    return datasets.Dataset(
        pa.table(
            {
                "example_id": pa.array(example_ids, pa.string()),
                "offset_mapping": pa.array(offset_mappings, OFFSETS_TYPE),
            }
        )
    )


def logits_table(
    start_logits: list[list[float]], end_logits: list[list[float]]
) -> datasets.Dataset:
    return datasets.Dataset(
        pa.table(
            {
                "start_logits": pa.array(start_logits, LOGITS_TYPE),
                "end_logits": pa.array(end_logits, LOGITS_TYPE),
            }
        )
    )


def window_offsets(n_question: int, n_context: int, first_char: int = 0) -> list:
    """[CLS] question [SEP] context [SEP]; context token k covers 3 characters."""
    context = [[first_char + 4 * k, first_char + 4 * k + 3] for k in range(n_context)]
    return [None] * (n_question + 2) + context + [None]


def peaked(length: int, peaks: dict[int, float]) -> list[float]:
    logits = [LOW] * length
    for position, value in peaks.items():
        logits[position] = value
    return logits


def decode(
    offsets: list, starts: list[list[float]], ends: list[list[float]], **settings
) -> dict[str, Span | None]:
    """Best spans of windows that all belong to one example, ``e``."""
    features = feature_table(["e"] * len(offsets), offsets)
    windows = window_arrays(features, logits_table(starts, ends))
    chosen = SpanSettings(**{"n_best_size": 20, "max_answer_length": 30, **settings})
    return best_spans(["e"], features["example_id"], windows, chosen)


def test_the_highest_scoring_span_is_picked() -> None:
    offsets = window_offsets(n_question=2, n_context=6)  # context at tokens 4..9
    starts = peaked(11, {5: 3.0, 7: 2.0})
    ends = peaked(11, {6: 4.0, 8: 1.0})

    best = decode([offsets], [starts], [ends])

    assert best == {"e": Span(score=7.0, char_start=4, char_end=11)}


def test_spans_outside_the_context_are_never_chosen() -> None:
    offsets = window_offsets(n_question=2, n_context=6)
    # CLS, question tokens and the final SEP carry the highest logits.
    starts = peaked(11, {0: 50.0, 1: 40.0, 10: 45.0, 6: 1.0})
    ends = peaked(11, {0: 50.0, 2: 40.0, 10: 45.0, 7: 1.0})

    best = decode([offsets], [starts], [ends])

    assert best["e"] == Span(score=2.0, char_start=8, char_end=15)


def test_spans_longer_than_max_answer_length_are_rejected() -> None:
    offsets = window_offsets(n_question=1, n_context=10)  # context at tokens 3..12
    starts = peaked(14, {3: 9.0, 8: 1.0})
    ends = peaked(14, {12: 9.0, 9: 1.0})

    best = decode([offsets], [starts], [ends], max_answer_length=3)
    # Tokens 3..12 are 10 tokens; 3..9 are 7; only 8..9 (2 tokens) fits.
    assert best["e"] == Span(score=2.0, char_start=20, char_end=27)

    loose = decode([offsets], [starts], [ends], max_answer_length=10)
    assert loose["e"] == Span(score=18.0, char_start=0, char_end=39)


def test_a_span_ending_before_it_starts_is_rejected() -> None:
    offsets = window_offsets(n_question=1, n_context=6)  # context at tokens 3..8
    starts = peaked(10, {7: 9.0, 4: 1.0})
    ends = peaked(10, {5: 9.0, 8: 2.0})

    best = decode([offsets], [starts], [ends])

    # (7, 5) would score 18 but ends before it starts; (7, 8) scores 11.
    assert best["e"] == Span(score=11.0, char_start=16, char_end=23)


def test_the_best_span_over_the_windows_of_one_example_wins() -> None:
    first = window_offsets(n_question=1, n_context=5, first_char=0)
    second = window_offsets(n_question=1, n_context=5, first_char=12)
    starts = [peaked(9, {3: 2.0}), peaked(9, {5: 6.0})]
    ends = [peaked(9, {4: 2.0}), peaked(9, {6: 1.0})]

    best = decode([first, second], starts, ends)

    # Second window: context token 2 starts at 12 + 8, token 3 ends at 12 + 15.
    assert best["e"] == Span(score=7.0, char_start=20, char_end=27)


def test_an_example_whose_windows_have_no_valid_span_gets_none() -> None:
    offsets = window_offsets(n_question=1, n_context=4)  # context at tokens 3..6
    # With one candidate each, the only pair ends before it starts, and in the
    # second window both candidates are special tokens.
    starts = [peaked(8, {6: 5.0}), peaked(8, {0: 5.0})]
    ends = [peaked(8, {3: 5.0}), peaked(8, {7: 5.0})]
    features = feature_table(["lost", "lost"], [offsets, offsets])
    features = datasets.concatenate_datasets(
        [features, feature_table(["found"], [offsets])]
    )
    logits = logits_table(starts + [peaked(8, {4: 1.0})], ends + [peaked(8, {4: 1.0})])

    best = best_spans(
        ["lost", "found", "unseen"],
        features["example_id"],
        window_arrays(features, logits),
        SpanSettings(n_best_size=1, max_answer_length=30),
    )

    assert best == {
        "lost": None,
        "found": Span(score=2.0, char_start=4, char_end=7),
        "unseen": None,
    }


def test_window_arrays_rejects_logits_of_other_features() -> None:
    features = feature_table(["a", "b"], [window_offsets(1, 2), window_offsets(1, 3)])
    logits = logits_table([[0.0] * 6], [[0.0] * 6])

    with pytest.raises(ValueError, match="rows"):
        window_arrays(features, logits)


def test_window_arrays_rejects_windows_of_other_lengths() -> None:
    features = feature_table(["a", "b"], [window_offsets(1, 2), window_offsets(1, 3)])
    logits = logits_table([[0.0] * 6, [0.0] * 6], [[0.0] * 6, [0.0] * 6])

    with pytest.raises(ValueError, match="window lengths"):
        window_arrays(features, logits)


def test_best_spans_rejects_a_window_of_an_unknown_example() -> None:
    features = feature_table(["a"], [window_offsets(1, 2)])
    windows = window_arrays(features, logits_table([[0.0] * 6], [[0.0] * 6]))

    with pytest.raises(ValueError, match="'a'"):
        best_spans(
            ["b"],
            features["example_id"],
            windows,
            SpanSettings(n_best_size=20, max_answer_length=30),
        )


# ------------------------------------------------- equivalence with the recipe


def reference_best_spans(
    example_ids: list[str],
    feature_example_ids: list[str],
    offset_mappings: list[list],
    start_logits: list[np.ndarray],
    end_logits: list[np.ndarray],
    settings: SpanSettings,
) -> dict[str, tuple[int, int] | None]:
    """The Hugging Face example's post-processing: n-best start and end indexes
    per window, invalid pairs skipped, best score over the example's windows."""
    best: dict[str, tuple[float, int, int] | None] = dict.fromkeys(example_ids)
    for example_id, offsets, starts, ends in zip(
        feature_example_ids, offset_mappings, start_logits, end_logits, strict=True
    ):
        start_indexes = np.argsort(starts)[-1 : -settings.n_best_size - 1 : -1]
        end_indexes = np.argsort(ends)[-1 : -settings.n_best_size - 1 : -1]
        for start in start_indexes:
            for end in end_indexes:
                if offsets[start] is None or offsets[end] is None:
                    continue
                if end < start or end - start + 1 > settings.max_answer_length:
                    continue
                score = starts[start] + ends[end]
                current = best[example_id]
                if current is None or score > current[0]:
                    best[example_id] = (score, offsets[start][0], offsets[end][1])
    return {
        example_id: None if found is None else (found[1], found[2])
        for example_id, found in best.items()
    }


def random_windows(
    rng: np.random.Generator, n_examples: int
) -> tuple[list[str], list[str], list[list]]:
    """1-3 windows per example with a question of 1-6 tokens and 1-30 context
    tokens at increasing character offsets."""
    example_ids = [f"q{i}" for i in range(n_examples)]
    feature_example_ids, offset_mappings = [], []
    for example_id in example_ids:
        for _ in range(rng.integers(1, 4)):
            widths = rng.integers(1, 5, size=rng.integers(1, 31))
            starts = rng.integers(0, 200) + np.cumsum(widths + 1) - widths - 1
            context = [
                [int(s), int(s + w)] for s, w in zip(starts, widths, strict=True)
            ]
            feature_example_ids.append(example_id)
            offset_mappings.append(
                [None] * (int(rng.integers(1, 7)) + 2) + context + [None]
            )
    return example_ids, feature_example_ids, offset_mappings


@pytest.mark.parametrize(
    "settings",
    [
        SpanSettings(n_best_size=20, max_answer_length=30),
        SpanSettings(n_best_size=5, max_answer_length=4),
    ],
    ids=["defaults", "few-candidates-short-answers"],
)
def test_best_spans_equal_the_reference_post_processing(
    settings: SpanSettings,
) -> None:
    rng = np.random.default_rng(2024)
    example_ids, feature_example_ids, offset_mappings = random_windows(rng, 50)
    start_logits = [
        rng.normal(size=len(o)).astype(np.float32) * 3 for o in offset_mappings
    ]
    end_logits = [
        rng.normal(size=len(o)).astype(np.float32) * 3 for o in offset_mappings
    ]
    features = feature_table(feature_example_ids, offset_mappings)
    logits = logits_table(
        [s.tolist() for s in start_logits], [e.tolist() for e in end_logits]
    )

    spans = best_spans(
        example_ids,
        features["example_id"],
        window_arrays(features, logits),
        settings,
    )
    expected = reference_best_spans(
        example_ids,
        feature_example_ids,
        offset_mappings,
        start_logits,
        end_logits,
        settings,
    )

    assert len(feature_example_ids) > 75
    chosen = {
        example_id: None if span is None else (span.char_start, span.char_end)
        for example_id, span in spans.items()
    }
    assert chosen == expected
    assert any(span is None for span in chosen.values()) == (settings.n_best_size == 5)


def test_real_validation_features_decode_like_the_reference(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    """Features from the pipeline's own builder (null pairs backed by values),
    seen through a reordering ``select``, decode like the reference."""
    context = (
        "김민수는 1932년에 부산에서 태어났다. " + "서울은 대한민국의 수도이다. " * 4
    )
    contexts = [context, "이영희는 광주에서 소설 세 권을 썼다.", context[:40]]
    questions = ["김민수는 어디에서 태어났는가?"] * 3
    validation = datasets.Dataset.from_dict(
        {"id": ["long", "short", "cut"], "question": questions, "context": contexts}
    )
    features = build_validation_features(
        validation, korean_tokenizer, WindowSettings(24, 6, 10), chunk_size=100
    )
    order = np.random.default_rng(3).permutation(len(features)).tolist()
    rng = np.random.default_rng(5)
    lengths = [len(ids) for ids in features["input_ids"]]
    start_logits = [rng.normal(size=n).astype(np.float32) for n in lengths]
    end_logits = [rng.normal(size=n).astype(np.float32) for n in lengths]
    logits = logits_table(
        [s.tolist() for s in start_logits], [e.tolist() for e in end_logits]
    )
    settings = SpanSettings(n_best_size=4, max_answer_length=5)

    shuffled = features.select(order)
    spans = best_spans(
        validation["id"],
        shuffled["example_id"],
        window_arrays(shuffled, logits.select(order)),
        settings,
    )
    expected = reference_best_spans(
        validation["id"],
        features["example_id"],
        features["offset_mapping"],
        start_logits,
        end_logits,
        settings,
    )

    assert len(features) > 3
    assert {
        example_id: None if span is None else (span.char_start, span.char_end)
        for example_id, span in spans.items()
    } == expected
