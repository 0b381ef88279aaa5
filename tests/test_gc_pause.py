"""Loading a source pauses Python's cycle collector, and gives it back."""

from __future__ import annotations

import gc
import json

import pytest

from extractive_qa.datasets.squad_json import parse_squad_json
from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.gc_pause import cycle_collector_paused
from extractive_qa.records import check_split


@pytest.fixture
def collections():
    """Cycle collections that start while the test runs, with the collector set
    to run after every allocation of a container."""
    started: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    threshold = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    gc.callbacks.append(count)
    try:
        yield started
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*threshold)


def _content(n_questions: int) -> bytes:
    return json.dumps(
        generate_korquad(split="train", n_questions=n_questions, seed=3),
        ensure_ascii=False,
    ).encode("utf-8")


def _load(content: bytes) -> int:
    """Questions in a source after parsing and checking it."""
    examples, _ = check_split(parse_squad_json(content, "raw_train"), "raw", "error")
    return len(examples)


def test_collections_while_loading_do_not_grow_with_the_source(collections):
    small, large = _content(50), _content(500)
    _load(small)  # imports and caches on first use
    # Without the pause, allocating containers starts collections at once.
    collections.clear()
    objects = [[] for _ in range(100)]
    assert len(collections) > 10
    del objects

    counts = []
    for content in (small, large):
        collections.clear()
        assert _load(content) >= 50
        counts.append(len(collections))
    # A few at the edges of the paused blocks, none per record.
    assert max(counts) < 20
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error_and_stays_off_if_it_was():
    with pytest.raises(ValueError), cycle_collector_paused():
        assert not gc.isenabled()
        raise ValueError("bad record")
    assert gc.isenabled()

    gc.disable()
    try:
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_paused_function_keeps_its_signature_for_kedro():
    import inspect

    from kedro.pipeline import node

    from extractive_qa.gc_pause import collector_paused_during
    from extractive_qa.reporting.error_analysis import score_questions

    @collector_paused_during
    def collector_state(examples: list) -> bool:
        return gc.isenabled()

    assert collector_state([]) is False
    assert gc.isenabled()
    assert list(
        inspect.signature(score_questions, follow_wrapped=False).parameters
    ) == [
        "validation_examples",
        "validation_features",
        "validation_predictions",
    ]
    # Kedro checks input names against the signature when the node is built.
    with pytest.raises(TypeError, match="validation_features"):
        node(
            score_questions,
            inputs={
                "validation_examples": "a",
                "validation_featurez": "b",
                "validation_predictions": "c",
            },
            outputs="scores",
        )
