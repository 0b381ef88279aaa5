"""Check every example before anything is trained on it.

Real SQuAD-format data has answers whose ``answer_start`` is off by a few
characters, duplicate ids, empty questions, answers that are not in the
context, and text in more than one Unicode form. Texts are brought to one form
first (``text.py``); a start that is off but whose text occurs in the context
is then moved to the nearest occurrence; any other problem fails the record.
Failed records stop the run (``on_invalid: error``) or are dropped
(``on_invalid: skip``).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import datasets

from extractive_qa.records.fields import Problem
from extractive_qa.records.shapes import SourceRecordsError, listed
from extractive_qa.records.text import clean_start, clean_text, is_clean

logger = logging.getLogger(__name__)

ON_INVALID = ("error", "skip")


class InvalidRecordsError(SourceRecordsError):
    """Records fail validation and ``on_invalid`` is error."""


class EmptySplitError(SourceRecordsError):
    """A split has no usable record left."""


@dataclass
class RecordCheck:
    """The outcome of checking one split."""

    texts: dict[str, list[str]] = field(default_factory=dict)
    answers: list[dict[str, list]] = field(default_factory=list)
    failures: list[tuple[int, Problem]] = field(default_factory=list)
    repaired: int = 0
    normalised: int = 0


def nearest_occurrence(context: str, text: str, start: int) -> int | None:
    """The start of the occurrence of ``text`` in ``context`` nearest ``start``."""
    found, position = [], context.find(text)
    while position != -1:
        found.append(position)
        position = context.find(text, position + 1)
    return min(found, key=lambda p: (abs(p - start), p)) if found else None


def _check_answers(
    context: str, answers: dict[str, list], check: RecordCheck
) -> tuple[str, str]:
    """Repair off starts in place; the kind and details of why the answers
    fail, or two empty strings."""
    texts, starts = answers["text"], answers["answer_start"]
    if len(texts) != len(starts):
        return (
            "answers.text and answer_start differ in length",
            f"answers.text has {len(texts)} entries but answers.answer_start "
            f"{len(starts)}",
        )
    for i, (text, start) in enumerate(zip(texts, starts, strict=True)):
        if not text.strip():
            return "an answer text is empty", "an answer text is empty"
        # Spaces around an answer would put the neighbouring words' tokens in
        # its label: the answer is the text between them.
        trimmed = texts[i] = text.strip()
        start += len(text) - len(text.lstrip())
        if context[start : start + len(trimmed)] == trimmed:
            if trimmed != text:
                starts[i] = start
                check.repaired += 1
            continue
        nearest = nearest_occurrence(context, trimmed, start)
        if nearest is None:
            return (
                "answer not in context",
                f"answer {trimmed[:40]!r} does not occur in the context",
            )
        starts[i] = nearest
        check.repaired += 1
    return "", ""


def _carried_start(raw_context: str, context: str, text: str, start: int) -> int:
    """Where an answer starting at ``start`` lands in the cleaned ``context``.

    A start may count characters of the context as written, or, when the
    answer text was written clean but the context was not (composed answers
    next to a decomposed context), characters of the clean form. The reading
    under which the answer is found there wins; if neither, the first reading
    is kept and the answer check moves the start (and counts it)."""
    carried = clean_start(raw_context, start)
    readings = [carried, start] if carried != start else [carried]
    if len(readings) > 1 and is_clean(text):
        readings.reverse()
    for reading in readings:
        if context[reading : reading + len(text)] == text:
            return reading
    return readings[0]


def _clean_record(record: dict[str, Any], answers: dict[str, list]) -> bool:
    """Bring the record's texts and answers to one form, in place, carrying
    each answer start over; whether anything changed."""
    texts = [record["context"], record["question"], record["title"], *answers["text"]]
    if all(is_clean(text) for text in texts):
        return False
    raw_context, raw_texts = record["context"], answers["text"]
    for key in ("context", "question", "title"):
        record[key] = clean_text(record[key])
    answers["text"] = [clean_text(text) for text in raw_texts]
    if len(raw_texts) == len(answers["answer_start"]):
        answers["answer_start"] = [
            _carried_start(raw_context, record["context"], text, start)
            for text, start in zip(raw_texts, answers["answer_start"], strict=True)
        ]
    return True


def _record_problem(
    record: dict[str, Any], first_seen: dict[str, int]
) -> tuple[str, str]:
    example_id = record["id"]
    if not example_id.strip():
        return "the id is empty", "the id is empty"
    if example_id in first_seen:
        return "duplicate id", f"the id repeats record {first_seen[example_id]}"
    if not record["question"].strip():
        return "the question is empty", "the question is empty"
    if not record["context"].strip():
        return "the context is empty", "the context is empty"
    return "", ""


NO_ANSWER_IN_V1 = "no answer, in SQuAD v1 mode"


def check_records(
    examples: datasets.Dataset, answers_required: bool = False
) -> RecordCheck:
    """Clean and check ids, questions, contexts and answers of every example;
    with ``answers_required``, a question without answers fails too."""
    check = RecordCheck(texts={"context": [], "question": [], "title": []})
    first_seen: dict[str, int] = {}
    # to_list reads the Arrow table at once; iterating a Dataset formats each row.
    for index, record in enumerate(examples.to_list()):
        answers = {
            "text": list(record["answers"]["text"]),
            "answer_start": list(record["answers"]["answer_start"]),
        }
        check.normalised += _clean_record(record, answers)
        for key, column in check.texts.items():
            column.append(record[key])
        check.answers.append(answers)
        kind, detail = _record_problem(record, first_seen)
        if not kind:
            kind, detail = _check_answers(record["context"], answers, check)
        if not kind and answers_required and not answers["text"]:
            kind, detail = (
                NO_ANSWER_IN_V1,
                (
                    "the question has no answer, but task.version_2_with_negative is "
                    "false, so every question needs one; give it its answer, or set "
                    "task.version_2_with_negative: true (as `--env squad_v2` does) for "
                    "data with unanswerable questions"
                ),
            )
        first_seen.setdefault(record["id"], index)
        if kind:
            label = f"record {index} (id {record['id']!r})"
            check.failures.append((index, Problem(label, kind, detail)))
    return check


def _with_checked_columns(
    examples: datasets.Dataset, check: RecordCheck, kept: list[int]
) -> datasets.Dataset:
    """The examples with the cleaned texts and checked answers, kept rows only."""
    replaced = ["answers", *(check.texts if check.normalised else ())]
    features = examples.features
    examples = examples.remove_columns(replaced)
    for name in replaced:
        column = check.answers if name == "answers" else check.texts[name]
        examples = examples.add_column(name, column, feature=features[name])
    examples = examples.select_columns(list(features))
    return examples.select(kept).flatten_indices()


def quality_report(
    source: str, checked: int, kept: int, dropped: list[Problem], check: RecordCheck
) -> dict[str, Any]:
    """The data-quality report of one split (more counts are added by later
    checks, e.g. leakage)."""
    return {
        "source": source,
        "checked": checked,
        "kept": kept,
        "repaired_answer_starts": check.repaired,
        "normalised_records": check.normalised,
        "dropped": len(dropped),
        "dropped_by_reason": dict(Counter(p.kind for p in dropped)),
    }


def require_records(report: dict[str, Any]) -> None:
    """``EmptySplitError`` when a split has no record left, saying why."""
    if report["kept"]:
        return
    source = report["source"]
    if not report["checked"]:
        raise EmptySplitError(
            source,
            "the source holds no questions (an empty 'data' list, or articles "
            f"without paragraphs or qas). Point the catalog entry {source} at a "
            "file with questions.",
        )
    reasons = ", ".join(
        f"{count} {kind}" for kind, count in report["dropped_by_reason"].items()
    )
    raise EmptySplitError(
        source,
        f"no record is left: all {report['checked']} were dropped ({reasons}). "
        "See the warnings above for examples of each, and fix the source; "
        "data_loading.on_invalid: skip only helps when some records are good.",
    )


def validate_examples(
    examples: datasets.Dataset,
    source: str,
    on_invalid: str,
    malformed: list[Problem] | None = None,
    answers_required: bool = False,
) -> tuple[datasets.Dataset, dict[str, Any]]:
    """Checked (cleaned and repaired) examples and the split's data-quality
    report. ``malformed``: records the reader could not read at all;
    ``answers_required``: a question without answers fails."""
    if on_invalid not in ON_INVALID:
        raise ValueError(
            f"data_loading.on_invalid is {on_invalid!r}; use one of {ON_INVALID}."
        )
    malformed = malformed or []
    check = check_records(examples, answers_required)
    failures = malformed + [problem for _, problem in check.failures]
    checked = len(examples) + len(malformed)
    if failures and on_invalid == "error":
        raise InvalidRecordsError(
            source,
            f"{len(failures)} of {checked} records failed validation; "
            f"{listed(failures)}\nFix them in the source, or set "
            "data_loading.on_invalid: skip to drop them.",
        )
    failed = {index for index, _ in check.failures}
    kept = [i for i in range(len(examples)) if i not in failed]
    if check.repaired or check.normalised or failed:
        examples = _with_checked_columns(examples, check, kept)
    if failures:
        logger.warning(
            "%s: dropped %d of %d records that failed validation; %s",
            source,
            len(failures),
            checked,
            listed(failures, shown=3),
        )
    if check.normalised:
        logger.info(
            "%s: brought %d records to Unicode NFC without zero-width characters, "
            "answer starts carried over",
            source,
            check.normalised,
        )
    if check.repaired:
        logger.info("%s: moved %d answer starts", source, check.repaired)
    report = quality_report(source, checked, len(examples), failures, check)
    require_records(report)
    return examples, report
