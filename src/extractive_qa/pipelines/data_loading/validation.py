"""Check every example before anything is trained on it.

Real SQuAD-format data has answers whose ``answer_start`` is off by a few
characters, duplicate ids, empty questions and answers that are not in the
context. A start that is off but whose text occurs in the context is moved to
the nearest occurrence; any other problem fails the record. Failed records
stop the run (``on_invalid: error``) or are dropped (``on_invalid: skip``).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import datasets

logger = logging.getLogger(__name__)

ON_INVALID = ("error", "skip")


@dataclass
class RecordCheck:
    """The outcome of checking one split."""

    answers: list[dict[str, list]] = field(default_factory=list)
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    repaired: int = 0


def nearest_occurrence(context: str, text: str, start: int) -> int | None:
    """The start of the occurrence of ``text`` in ``context`` nearest ``start``."""
    found, position = [], context.find(text)
    while position != -1:
        found.append(position)
        position = context.find(text, position + 1)
    return min(found, key=lambda p: (abs(p - start), p)) if found else None


def _check_answers(context: str, answers: dict[str, list], check: RecordCheck) -> str:
    """Repair off starts in place; the reason the answers fail, or ''."""
    texts, starts = answers["text"], answers["answer_start"]
    if len(texts) != len(starts):
        return (
            f"answers.text has {len(texts)} entries but answers.answer_start "
            f"{len(starts)}"
        )
    for i, (text, start) in enumerate(zip(texts, starts, strict=True)):
        if not text.strip():
            return "an answer text is empty"
        if context[start : start + len(text)] == text:
            continue
        nearest = nearest_occurrence(context, text, start)
        if nearest is None:
            return f"answer {text[:40]!r} does not occur in the context"
        starts[i] = nearest
        check.repaired += 1
    return ""


def check_records(examples: datasets.Dataset) -> RecordCheck:
    """Check ids, questions, contexts and answers of every example."""
    check = RecordCheck()
    first_seen: dict[str, int] = {}
    columns = examples.select_columns(["id", "question", "context", "answers"])
    for index, record in enumerate(columns):
        answers = {
            "text": list(record["answers"]["text"]),
            "answer_start": list(record["answers"]["answer_start"]),
        }
        check.answers.append(answers)
        example_id = record["id"]
        reason = ""
        if not example_id.strip():
            reason = "the id is empty"
        elif example_id in first_seen:
            reason = f"the id repeats record {first_seen[example_id]}"
        elif not record["question"].strip():
            reason = "the question is empty"
        elif not record["context"].strip():
            reason = "the context is empty"
        else:
            reason = _check_answers(record["context"], answers, check)
        first_seen.setdefault(example_id, index)
        if reason:
            check.failures.append((index, example_id, reason))
    return check


def _reason_kind(reason: str) -> str:
    """The reason without record-specific details, for counting."""
    kinds = {
        "repeats": "duplicate id",
        "does not occur": "answer not in context",
        "entries but": "answers.text and answer_start differ in length",
    }
    return next((kind for key, kind in kinds.items() if key in reason), reason)


def validate_examples(
    examples: datasets.Dataset, source: str, on_invalid: str
) -> tuple[datasets.Dataset, dict[str, Any]]:
    """Checked (and repaired) examples and the split's data-quality report."""
    if on_invalid not in ON_INVALID:
        raise ValueError(
            f"data_loading.on_invalid is {on_invalid!r}; use one of {ON_INVALID}."
        )
    check = check_records(examples)
    if check.failures and on_invalid == "error":
        listed = "\n".join(
            f"  record {index} (id {example_id!r}): {reason}"
            for index, example_id, reason in check.failures[:10]
        )
        raise ValueError(
            f"{source}: {len(check.failures)} of {len(examples)} records failed "
            f"validation; the first {min(10, len(check.failures))}:\n{listed}\n"
            "Fix them in the source, or set data_loading.on_invalid: skip to drop "
            "them."
        )
    failed = {index for index, _, _ in check.failures}
    if check.repaired or failed:
        kept = [i for i in range(len(examples)) if i not in failed]
        examples = examples.remove_columns("answers").add_column(
            "answers", check.answers, feature=examples.features["answers"]
        )
        examples = examples.select(kept).flatten_indices()
    if failed:
        logger.warning(
            "%s: dropped %d of %d records that failed validation (first: %s)",
            source,
            len(failed),
            len(failed) + len(examples),
            "; ".join(f"{i!r}: {r}" for _, i, r in check.failures[:3]),
        )
    if check.repaired:
        logger.info("%s: moved %d answer starts", source, check.repaired)
    report = {
        "source": source,
        "checked": len(examples) + len(failed),
        "kept": len(examples),
        "repaired_answer_starts": check.repaired,
        "dropped": len(failed),
        "dropped_by_reason": dict(
            Counter(_reason_kind(r) for _, _, r in check.failures)
        ),
    }
    return examples, report
