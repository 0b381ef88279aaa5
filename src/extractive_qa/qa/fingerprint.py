"""Fingerprints that tie persisted windows and logits to what made them.

Every stage reads what an earlier one persisted, so a stage can be rerun alone;
that also lets a stale artifact slip in (validation windows rebuilt with a new
tokenizer, logits still from the old model). Feature sets therefore carry a
fingerprint of the tokenizer (class and vocabulary hash), the window settings
and the examples they were cut from; logits carry the fingerprint of the
windows they were predicted for. Stages compare them before using their inputs.

The fingerprint travels in ``Dataset.info.description`` as JSON, which
``save_to_disk``/``load_from_disk``, ``select`` and ``remove_columns`` keep.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import datasets

from extractive_qa.qa.tables import arrow_columns
from extractive_qa.qa.windows import WindowSettings

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

_KEY = "extractive_qa.fingerprint"
_EXAMPLE_COLUMNS = ("id", "context", "question", "answers")


class StaleArtifactError(ValueError):
    """Two inputs of a stage were made from different tokenizers, settings or data."""


@dataclass(frozen=True)
class FeatureFingerprint:
    """What a set of windows was made from."""

    tokenizer: str
    max_length: int
    doc_stride: int
    max_query_length: int
    examples: str

    def short(self) -> str:
        """A 12-character digest of the whole fingerprint, for messages."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """Tokenizer class and a hash of its vocabulary (token -> id)."""
    vocabulary = json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False)
    digest = hashlib.sha256(vocabulary.encode()).hexdigest()[:16]
    return f"{type(tokenizer).__name__}:{digest}"


def examples_fingerprint(examples: datasets.Dataset) -> str:
    """A hash of the ids, contexts, questions and answers, in order."""
    digest = hashlib.sha256()
    columns = [c for c in _EXAMPLE_COLUMNS if c in examples.column_names]
    table = arrow_columns(examples, columns)
    for begin in range(0, len(table), 2000):
        batch = table.slice(begin, 2000).to_pydict()
        digest.update(json.dumps(batch, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def feature_fingerprint(
    examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    settings: WindowSettings,
) -> FeatureFingerprint:
    """The fingerprint of windows cut from ``examples`` with this tokenizer."""
    return FeatureFingerprint(
        tokenizer=tokenizer_fingerprint(tokenizer),
        max_length=settings.max_length,
        doc_stride=settings.doc_stride,
        max_query_length=settings.max_query_length,
        examples=examples_fingerprint(examples),
    )


def stamp(table: datasets.Dataset, fingerprint: FeatureFingerprint) -> None:
    """Record the fingerprint in the dataset's info (kept by save_to_disk)."""
    table.info.description = json.dumps({_KEY: asdict(fingerprint)})


def read_stamp(table: datasets.Dataset) -> FeatureFingerprint | None:
    """The fingerprint recorded by ``stamp``, or None for an unstamped dataset."""
    try:
        recorded = json.loads(table.info.description or "")[_KEY]
    except (json.JSONDecodeError, KeyError, TypeError):
        return None
    return FeatureFingerprint(**recorded)


def check_same(
    left_name: str,
    left: FeatureFingerprint | None,
    right_name: str,
    right: FeatureFingerprint | None,
    remedy: str,
    fields: tuple[str, ...] | None = None,
) -> None:
    """Stop with a message naming both fingerprints when ``fields`` differ.

    An input without a fingerprint (written before fingerprints existed, or
    built outside the pipeline) cannot be checked; that is logged, not raised.
    """
    if left is None or right is None:
        missing = left_name if left is None else right_name
        logger.warning("%s carries no fingerprint; not checked against it", missing)
        return
    fields = fields or tuple(asdict(left))
    differing = [f for f in fields if getattr(left, f) != getattr(right, f)]
    if differing:
        details = "; ".join(
            f"{f}: {getattr(left, f)!r} vs {getattr(right, f)!r}" for f in differing
        )
        raise StaleArtifactError(
            f"{left_name} (fingerprint {left.short()}) and {right_name} "
            f"(fingerprint {right.short()}) were made from different inputs "
            f"({details}). {remedy}"
        )


def check_value(
    what: str,
    left_name: str,
    left_value: str | None,
    right_name: str,
    right_value: str | None,
    remedy: str,
) -> None:
    """Stop when two inputs disagree on one component (e.g. the tokenizer)."""
    if left_value is None or right_value is None:
        missing = left_name if left_value is None else right_name
        logger.warning("%s carries no fingerprint; not checked against it", missing)
        return
    if left_value != right_value:
        raise StaleArtifactError(
            f"{left_name} and {right_name} disagree on the {what}: "
            f"{left_value!r} vs {right_value!r}. {remedy}"
        )
