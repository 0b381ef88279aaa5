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
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class WindowSettings:
    """How examples are cut into windows."""

    max_length: int
    doc_stride: int
    max_query_length: int

    def __post_init__(self) -> None:
        # [CLS] question [SEP] context [SEP], as BERT and ELECTRA cut a pair.
        self.check_room(special_tokens=3)

    def check_room(self, special_tokens: int) -> None:
        """Raise ValueError unless a window with this many special tokens has
        room for context, and more than ``doc_stride`` of it."""
        if self.max_length <= self.max_query_length + special_tokens:
            raise ValueError(
                f"max_length ({self.max_length}) leaves no room for context after "
                f"a question of up to max_query_length ({self.max_query_length}) "
                f"tokens and {special_tokens} special tokens; raise "
                "tokenization.max_length or lower tokenization.max_query_length."
            )
        if self.doc_stride >= self.max_length - self.max_query_length - special_tokens:
            raise ValueError(
                f"doc_stride ({self.doc_stride}) must be smaller than the context "
                f"part of a window (max_length {self.max_length} minus the "
                f"question, up to max_query_length {self.max_query_length} tokens, "
                f"and {special_tokens} special tokens); lower tokenization.doc_stride."
            )


@dataclass(frozen=True)
class TokenizedWindows:
    """Windows of a chunk of examples, flattened token-wise for numpy work.

    Token ``i`` of every array belongs to the window whose ``window_starts``
    entry is the last one at or before ``i``.
    """

    input_ids: np.ndarray  # (n_tokens,) int32
    token_type_ids: np.ndarray | None  # (n_tokens,) int8, None if not a model input
    example_index: np.ndarray  # window -> example position in the chunk
    offsets: np.ndarray  # (n_tokens, 2) character offsets into the context
    in_context: np.ndarray  # (n_tokens,) bool: token belongs to the context
    window_starts: np.ndarray  # (n_windows,)
    # Questions longer than max_query_length, cut to it before tokenizing.
    cut_questions: int = 0

    def __len__(self) -> int:
        return len(self.window_starts)

    def token_bounds(self) -> np.ndarray:
        """Each window's first token and, last, the end of the last window:
        ``n_windows + 1`` offsets into the flat arrays."""
        return np.append(self.window_starts, len(self.input_ids))

    def window_ids(self, window: int) -> list[int]:
        """The token ids of one window."""
        bounds = self.token_bounds()
        return self.input_ids[bounds[window] : bounds[window + 1]].tolist()


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
    """Tokenize question/context pairs into overflowing windows with offsets.

    The fast tokenizer's backend is asked directly, set up as
    ``tokenizer(..., truncation="only_second", stride=..., padding=False,
    return_overflowing_tokens=True)`` sets it up, so the windows are the same;
    the token fields are read straight into flat numpy arrays, without the
    per-window dictionaries that call builds.
    """
    # RoBERTa-style tokenizers put 4 special tokens in a pair, not 3.
    settings.check_room(tokenizer.num_special_tokens_to_add(pair=True))
    # Leading spaces only waste tokens and can push a context past max_length.
    questions, cut_questions = _truncate_questions(
        tokenizer, [q.lstrip() for q in questions], settings
    )
    question_first = question_comes_first(tokenizer)
    first, second = (questions, contexts) if question_first else (contexts, questions)
    pairs = list(zip(first, second, strict=True))
    backend = tokenizer.backend_tokenizer
    backend.no_padding()
    backend.enable_truncation(
        settings.max_length,
        stride=settings.doc_stride,
        strategy="only_second" if question_first else "only_first",
        direction=tokenizer.truncation_side,
    )
    backend.encode_special_tokens = bool(
        getattr(tokenizer, "split_special_tokens", False)
    )
    encodings = backend.encode_batch(pairs, add_special_tokens=True)
    # Each pair's first window, then the windows its context overflowed into.
    per_example = [[encoding, *encoding.overflowing] for encoding in encodings]
    windows = list(chain.from_iterable(per_example))
    example_index = np.repeat(
        np.arange(len(per_example)),
        np.fromiter(
            (len(w) for w in per_example), dtype=np.int64, count=len(per_example)
        ),
    )
    lengths = np.fromiter((len(w) for w in windows), dtype=np.int64, count=len(windows))
    n_tokens = int(lengths.sum())
    window_starts = np.cumsum(lengths) - lengths
    input_ids = np.fromiter(
        chain.from_iterable(w.ids for w in windows), dtype=np.int32, count=n_tokens
    )
    token_type_ids = None
    if "token_type_ids" in tokenizer.model_input_names:
        token_type_ids = np.fromiter(
            chain.from_iterable(w.type_ids for w in windows),
            dtype=np.int8,
            count=n_tokens,
        )
    offsets = np.fromiter(
        chain.from_iterable(chain.from_iterable(w.offsets for w in windows)),
        dtype=np.int64,
        count=2 * n_tokens,
    ).reshape(-1, 2)
    # None (special tokens) becomes NaN, which equals no sequence id.
    sequence_ids = np.array(
        list(chain.from_iterable(w.sequence_ids for w in windows)), dtype=np.float64
    )
    return TokenizedWindows(
        input_ids=input_ids,
        token_type_ids=token_type_ids,
        example_index=example_index,
        offsets=offsets,
        in_context=sequence_ids == (1 if question_first else 0),
        window_starts=window_starts,
        cut_questions=cut_questions,
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
) -> tuple[list[str], int]:
    """Every question cut to ``max_query_length`` tokens, and how many were;
    one tokenizer call finds the (few) that need cutting."""
    too_long = question_lengths(tokenizer, questions) > settings.max_query_length
    cut = [
        _truncate_question(tokenizer, question, settings) if long else question
        for question, long in zip(questions, too_long, strict=True)
    ]
    return cut, int(too_long.sum())


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
        # verbose=False: a question longer than the model is why it is cut.
        encoded = tokenizer(
            question,
            add_special_tokens=False,
            return_offsets_mapping=True,
            verbose=False,
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
    token_window = np.repeat(np.arange(len(windows)), np.diff(windows.token_bounds()))
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
    if cls_id is None or not len(windows):
        return np.zeros(len(windows), dtype=np.int64)
    positions = np.arange(len(windows.input_ids))
    first = np.minimum.reduceat(
        np.where(windows.input_ids == cls_id, positions, len(positions)),
        windows.window_starts,
    )
    return np.where(first < len(positions), first - windows.window_starts, 0)


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
        pa.array(windows.token_bounds().astype(np.int32)), pairs
    )


def window_settings(tokenization: dict[str, Any]) -> WindowSettings:
    """The ``tokenization`` parameter group as settings."""
    return WindowSettings(
        max_length=tokenization["max_length"],
        doc_stride=tokenization["doc_stride"],
        max_query_length=tokenization["max_query_length"],
    )
