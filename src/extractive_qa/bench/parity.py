"""The two recipes must agree before their timings mean anything."""

from __future__ import annotations

import datasets
import numpy as np

SHOWN = 5


class ParityError(ValueError):
    """The project's stage and the reference recipe gave different outputs."""


def check_windows(
    reference: datasets.Dataset, project: datasets.Dataset, split: str
) -> int:
    """Same windows (token ids up to the padding) in the same order; their count."""
    if len(reference) != len(project):
        raise ParityError(
            f"{split} features: the reference recipe made {len(reference)} windows, "
            f"the project {len(project)}; check tokenization.max_query_length "
            "(the reference never cuts questions) and the tokenizer's padding side."
        )
    padded = np.asarray(reference["input_ids"][:])
    differing = [
        window
        for window, ids in enumerate(project["input_ids"][:])
        if not np.array_equal(padded[window, : len(ids)], ids)
    ]
    if differing:
        raise ParityError(
            f"{split} features: {len(differing)} windows have other token ids than "
            f"the reference recipe's (first: {differing[:SHOWN]})."
        )
    return len(project)


def check_labels(reference: datasets.Dataset, project: datasets.Dataset) -> int:
    """Identical start/end labels for every training window; their count."""
    check_windows(reference, project, "train")
    differing = []
    for column in ("start_positions", "end_positions"):
        expected = np.asarray(reference[column][:])
        found = np.asarray(project[column][:])
        differing += np.flatnonzero(expected != found).tolist()
    if differing:
        windows = sorted(set(differing))
        shown = [
            (w, reference[w]["start_positions"], reference[w]["end_positions"])
            for w in windows[:SHOWN]
        ]
        raise ParityError(
            f"train features: {len(windows)} windows are labelled differently from "
            f"the reference recipe (window, reference start, end: {shown}); "
            "the labelling in qa/windows.py changed its meaning."
        )
    return len(project)


def check_answers(reference: dict[str, str], project: dict[str, str], what: str) -> int:
    """Identical answer text for every question; the number of questions."""
    if set(reference) != set(project):
        missing = sorted(set(reference) ^ set(project))
        raise ParityError(
            f"{what}: the recipes answered different questions "
            f"(first differing ids: {missing[:SHOWN]})."
        )
    differing = [
        (example_id, reference[example_id], project[example_id])
        for example_id in sorted(reference)
        if reference[example_id] != project[example_id]
    ]
    if differing:
        raise ParityError(
            f"{what}: {len(differing)} of {len(reference)} answers differ from the "
            f"reference recipe's (id, reference, project: {differing[:SHOWN]})."
        )
    return len(reference)
