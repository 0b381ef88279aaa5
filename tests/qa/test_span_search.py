"""The all-windows span search gives what the one-window search gives, however
the windows are split into chunks."""

from __future__ import annotations

import datasets
import numpy as np
import pyarrow as pa
import pytest

from extractive_qa.qa import spans, window_logits
from extractive_qa.qa.spans import SpanSettings, best_spans, best_window_span


def _windows(
    rng: np.random.Generator, n_windows: int, masked: bool = False
) -> window_logits.WindowArrays:
    """Windows of 3-60 tokens, context after a 2-8 token question; about half
    peaked so their best start and end make a valid span, half random. With
    ``masked`` the tokens outside the context get float32's lowest value, as
    models that mask logits give them."""
    offsets, starts, ends = [], [], []
    for _ in range(n_windows):
        n_question = int(rng.integers(2, 9))
        n_context = int(rng.integers(1, 52))
        offsets.append(
            [None] * n_question
            + [[4 * k, 4 * k + 3] for k in range(n_context)]
            + [None]
        )
        length = n_question + n_context + 1
        start = rng.normal(size=length).astype(np.float32)
        end = rng.normal(size=length).astype(np.float32)
        if rng.random() < 0.5:
            token = n_question + int(rng.integers(0, n_context))
            start[token] += 10
            end[token] += 10
        if masked:
            outside = np.ones(length, dtype=bool)
            outside[n_question : n_question + n_context] = False
            start[outside] = end[outside] = np.finfo(np.float32).min
        starts.append(start.tolist())
        ends.append(end.tolist())
    features = datasets.Dataset(
        pa.table(
            {
                "example_id": pa.array([f"w{i}" for i in range(n_windows)]),
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
    return window_logits.window_arrays(features, logits)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("chunk", [1, 7, 4096])
@pytest.mark.parametrize(
    "settings",
    [
        SpanSettings(n_best_size=20, max_answer_length=30),
        SpanSettings(n_best_size=3, max_answer_length=2),
    ],
)
def test_every_window_gets_the_span_the_one_window_search_finds(
    chunk: int,
    settings: SpanSettings,
    masked: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    windows = _windows(np.random.default_rng(11), 60, masked)
    ids = [f"w{i}" for i in range(60)]
    monkeypatch.setattr(spans, "CHUNK", chunk)

    found = best_spans(ids, ids, windows, settings)

    expected = {
        example_id: best_window_span(windows, window, settings)
        for window, example_id in enumerate(ids)
    }
    assert found == expected
    assert sum(span is None for span in found.values()) < len(found)
