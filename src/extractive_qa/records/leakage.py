"""Questions found in both training and validation data.

A validation question that was also trained on inflates every validation
figure. Two kinds are found: the same id, and the same question about the same
context (whitespace at either end ignored) under another id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import datasets

logger = logging.getLogger(__name__)

ON_LEAK = ("warn", "error", "drop_from_train")
SHOWN = 5


class LeakageError(ValueError):
    """Training and validation data share questions and ``on_leak`` is error."""


@dataclass(frozen=True)
class Leaks:
    """Training rows that also occur in validation, by kind."""

    same_id: list[int]
    same_question_and_context: list[int]
    ids: list[str]

    @property
    def rows(self) -> list[int]:
        return sorted({*self.same_id, *self.same_question_and_context})

    def counts(self) -> dict[str, int]:
        return {
            "same_id": len(self.same_id),
            "same_question_and_context": len(self.same_question_and_context),
        }

    def describe(self) -> str:
        shown = ", ".join(repr(i) for i in self.ids[:SHOWN])
        more = f" and {len(self.ids) - SHOWN} more" if len(self.ids) > SHOWN else ""
        return (
            f"{len(self.rows)} training records also occur in validation "
            f"({len(self.same_id)} with the same id, "
            f"{len(self.same_question_and_context)} with the same question and "
            f"context); training ids: {shown}{more}"
        )


def _column(examples: datasets.Dataset, name: str) -> list[str]:
    """One column as a list, read from Arrow at once (not row by row)."""
    return examples.with_format("arrow")[name].to_pylist()


def _pairs(examples: datasets.Dataset) -> list[tuple[str, str]]:
    return [
        (question.strip(), context.strip())
        for question, context in zip(
            _column(examples, "question"), _column(examples, "context"), strict=True
        )
    ]


def find_leaks(train: datasets.Dataset, validation: datasets.Dataset) -> Leaks:
    """The training rows whose id, or whose question and context, validation has."""
    validation_ids = set(_column(validation, "id"))
    validation_pairs = set(_pairs(validation))
    train_ids = _column(train, "id")
    same_id = [
        i for i, example_id in enumerate(train_ids) if example_id in validation_ids
    ]
    same_pair = [i for i, pair in enumerate(_pairs(train)) if pair in validation_pairs]
    rows = sorted({*same_id, *same_pair})
    return Leaks(same_id, same_pair, [train_ids[i] for i in rows])


def handle_leaks(
    train: datasets.Dataset, validation: datasets.Dataset, on_leak: str
) -> tuple[datasets.Dataset, dict[str, int | str]]:
    """Apply ``on_leak`` (warn, error, drop_from_train); the training examples
    to use and the counts for the data-quality reports."""
    if on_leak not in ON_LEAK:
        raise ValueError(f"data_loading.on_leak is {on_leak!r}; use one of {ON_LEAK}.")
    leaks = find_leaks(train, validation)
    counts: dict[str, int | str] = {**leaks.counts(), "on_leak": on_leak}
    if not leaks.rows:
        return train, {**counts, "dropped_from_train": 0}
    if on_leak == "error":
        raise LeakageError(
            f"{leaks.describe()}. Remove them from the training data, or set "
            "data_loading.on_leak: drop_from_train to drop them from training "
            "(or warn to go on with them)."
        )
    if on_leak == "warn":
        logger.warning(
            "%s. Validation figures will be too high; set data_loading.on_leak: "
            "drop_from_train to drop them from training, or error to stop.",
            leaks.describe(),
        )
        return train, {**counts, "dropped_from_train": 0}
    leaked = set(leaks.rows)
    kept = [i for i in range(len(train)) if i not in leaked]
    logger.warning("%s; dropped them from training.", leaks.describe())
    return train.select(kept).flatten_indices(), {
        **counts,
        "dropped_from_train": len(leaked),
    }
