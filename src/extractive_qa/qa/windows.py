"""Turn examples (question + context) into windows the model reads.

A context longer than ``max_length`` is cut into overlapping windows
(``doc_stride`` tokens of overlap), each preceded by the question. Windows are
stored unpadded: padding happens per batch, so no disk or compute goes to
[PAD] tokens.

Training windows are labelled with the token positions of the first answer, or
with the CLS position when the answer is not entirely inside the window. The
labelling works on all windows of a chunk at once with numpy instead of walking
the offsets of each window in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class WindowSettings:
    """How examples are cut into windows."""

    max_length: int
    doc_stride: int
    max_query_length: int

    def __post_init__(self) -> None:
        if self.max_length <= self.max_query_length + 3:
            raise ValueError(
                f"max_length ({self.max_length}) leaves no room for context after "
                f"a question of up to max_query_length ({self.max_query_length}) "
                "tokens and 3 special tokens; raise tokenization.max_length or "
                "lower tokenization.max_query_length."
            )
        if self.doc_stride >= self.max_length - self.max_query_length - 3:
            raise ValueError(
                f"doc_stride ({self.doc_stride}) must be smaller than the context "
                f"part of a window (max_length {self.max_length} minus the "
                f"question, up to max_query_length {self.max_query_length} tokens, "
                "and 3 special tokens); lower tokenization.doc_stride."
            )


@dataclass(frozen=True)
class TokenizedWindows:
    """Windows of a chunk of examples, flattened token-wise for numpy work.

    ``token_window[i]`` is the window token ``i`` belongs to; ``window_starts``
    indexes the first token of each window into the flat arrays.
    """

    input_ids: list[list[int]]
    token_type_ids: list[list[int]] | None
    example_index: np.ndarray  # window -> example position in the chunk
    offsets: np.ndarray  # (n_tokens, 2) character offsets into the context
    in_context: np.ndarray  # (n_tokens,) bool: token belongs to the context
    window_starts: np.ndarray  # (n_windows,)


def question_comes_first(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Right-padding tokenizers read question then context; left-padding ones
    read context first so that truncation keeps the question intact."""
    return tokenizer.padding_side == "right"


def tokenize_windows(
    tokenizer: PreTrainedTokenizerBase,
    questions: Sequence[str],
    contexts: Sequence[str],
    settings: WindowSettings,
) -> TokenizedWindows:
    """Tokenize question/context pairs into overflowing windows with offsets."""
    # Leading spaces only waste tokens and can push a context past max_length.
    questions = _truncate_questions(
        tokenizer, [q.lstrip() for q in questions], settings
    )
    question_first = question_comes_first(tokenizer)
    pair = (questions, contexts) if question_first else (contexts, questions)
    encoding = tokenizer(
        *pair,
        truncation="only_second" if question_first else "only_first",
        max_length=settings.max_length,
        stride=settings.doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding=False,
    )
    context_id = 1 if question_first else 0
    lengths = np.fromiter((len(ids) for ids in encoding["input_ids"]), dtype=np.int64)
    window_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    offsets = np.fromiter(
        chain.from_iterable(chain.from_iterable(encoding["offset_mapping"])),
        dtype=np.int64,
        count=2 * int(lengths.sum()),
    ).reshape(-1, 2)
    in_context = np.fromiter(
        (
            sid == context_id
            for window in range(len(lengths))
            for sid in encoding.sequence_ids(window)
        ),
        dtype=bool,
        count=int(lengths.sum()),
    )
    return TokenizedWindows(
        input_ids=encoding["input_ids"],
        token_type_ids=encoding.get("token_type_ids"),
        example_index=np.asarray(encoding["overflow_to_sample_mapping"]),
        offsets=offsets,
        in_context=in_context,
        window_starts=window_starts,
    )


def question_lengths(
    tokenizer: PreTrainedTokenizerBase, questions: Sequence[str]
) -> np.ndarray:
    """Tokens in each question, without special tokens.

    Asks the fast tokenizer's backend directly: only the lengths are needed, and
    converting every encoding to Python lists would cost more than tokenizing.
    The backend keeps the padding and truncation of the last ``tokenizer(...)``
    call, so both are switched off first; the next call sets its own again.
    """
    if not questions:
        return np.zeros(0, dtype=np.int64)
    backend = tokenizer.backend_tokenizer
    backend.no_padding()
    backend.no_truncation()
    encodings = backend.encode_batch(list(questions), add_special_tokens=False)
    return np.fromiter((len(e) for e in encodings), dtype=np.int64)


def _truncate_questions(
    tokenizer: PreTrainedTokenizerBase, questions: list[str], settings: WindowSettings
) -> list[str]:
    """Every question cut to ``max_query_length`` tokens; one tokenizer call
    finds the (few) that need cutting."""
    too_long = question_lengths(tokenizer, questions) > settings.max_query_length
    return [
        _truncate_question(tokenizer, question, settings) if cut else question
        for question, cut in zip(questions, too_long, strict=True)
    ]


def _truncate_question(
    tokenizer: PreTrainedTokenizerBase, question: str, settings: WindowSettings
) -> str:
    """Cut a question to ``max_query_length`` tokens so a window always has room
    for context (only_second truncation fails when the question alone is too long).

    The cut text is tokenized again and cut one more token while still too long:
    a word cut in the middle can tokenize into more pieces than it had.
    """
    limit = settings.max_query_length
    for _ in range(limit + 1):
        encoded = tokenizer(
            question, add_special_tokens=False, return_offsets_mapping=True
        )
        if len(encoded["input_ids"]) <= limit:
            return question
        # Cut where the first token past the limit begins; each pass shortens.
        question = question[: encoded["offset_mapping"][limit][0]].rstrip()
    raise ValueError(
        f"could not cut question {question[:80]!r} to {limit} tokens; raise "
        "tokenization.max_query_length."
    )


def label_windows(
    windows: TokenizedWindows,
    answer_starts: np.ndarray,
    answer_ends: np.ndarray,
    cls_positions: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Token start/end of each window's answer, or its CLS position when absent.

    ``answer_starts``/``answer_ends`` are character offsets per example (end
    exclusive; -1 when the example has no answer).
    """
    token_window = np.repeat(
        np.arange(len(windows.window_starts)),
        np.diff(np.append(windows.window_starts, len(windows.in_context))),
    )
    char_start = answer_starts[windows.example_index][token_window]
    char_end = answer_ends[windows.example_index][token_window]
    positions = np.arange(len(windows.in_context))
    big = np.iinfo(np.int64).max
    ctx = windows.in_context
    first_ctx = np.minimum.reduceat(
        np.where(ctx, positions, big), windows.window_starts
    )
    last_ctx = np.maximum.reduceat(np.where(ctx, positions, -1), windows.window_starts)
    # The last context token starting at or before the answer start, and the
    # first context token ending at or after the answer end.
    start = np.maximum.reduceat(
        np.where(ctx & (windows.offsets[:, 0] <= char_start), positions, -1),
        windows.window_starts,
    )
    end = np.minimum.reduceat(
        np.where(ctx & (windows.offsets[:, 1] >= char_end), positions, big),
        windows.window_starts,
    )
    window_start = answer_starts[windows.example_index]
    window_end = answer_ends[windows.example_index]
    has_context = last_ctx >= 0
    safe_first = np.where(has_context, first_ctx, 0)
    safe_last = np.where(has_context, last_ctx, 0)
    inside = (
        has_context
        & (window_start >= 0)
        & (windows.offsets[safe_first, 0] <= window_start)
        & (windows.offsets[safe_last, 1] >= window_end)
    )
    start_positions = np.where(inside, start - windows.window_starts, cls_positions)
    end_positions = np.where(inside, end - windows.window_starts, cls_positions)
    return start_positions.astype(np.int32), end_positions.astype(np.int32)


def cls_positions(
    tokenizer: PreTrainedTokenizerBase, windows: TokenizedWindows
) -> np.ndarray:
    """Index of the CLS token in each window (0 unless a tokenizer puts it last)."""
    cls_id = tokenizer.cls_token_id
    if cls_id is None:
        return np.zeros(len(windows.input_ids), dtype=np.int64)
    return np.asarray(
        [ids.index(cls_id) if cls_id in ids else 0 for ids in windows.input_ids]
    )


def context_offsets(windows: TokenizedWindows) -> pa.Array:
    """Per window, the [start, end] character offsets of each token, null for
    tokens outside the context (question, special tokens)."""
    n_tokens = len(windows.in_context)
    pairs = pa.ListArray.from_arrays(
        pa.array(np.arange(0, 2 * n_tokens + 1, 2, dtype=np.int32)),
        pa.array(windows.offsets.reshape(-1).astype(np.int32)),
        mask=pa.array(~windows.in_context),
    )
    return pa.ListArray.from_arrays(
        pa.array(np.append(windows.window_starts, n_tokens).astype(np.int32)),
        pairs,
    )


def window_settings(tokenization: dict[str, Any]) -> WindowSettings:
    """The ``tokenization`` parameter group as settings."""
    return WindowSettings(
        max_length=tokenization["max_length"],
        doc_stride=tokenization["doc_stride"],
        max_query_length=tokenization["max_query_length"],
    )
