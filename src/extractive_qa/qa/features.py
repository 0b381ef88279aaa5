"""Feature tables: the windows of every example as ragged Arrow columns."""

from __future__ import annotations

import logging

import datasets
import numpy as np
import pyarrow as pa
from datasets.fingerprint import generate_random_fingerprint
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from extractive_qa.qa.windows import (
    TokenizedWindows,
    WindowSettings,
    cls_positions,
    context_offsets,
    label_windows,
    tokenize_windows,
)

logger = logging.getLogger(__name__)


def _token_columns(windows: TokenizedWindows) -> dict[str, pa.Array]:
    bounds = pa.array(windows.token_bounds().astype(np.int32))
    columns = {"input_ids": pa.ListArray.from_arrays(bounds, windows.input_ids)}
    if windows.token_type_ids is not None:
        columns["token_type_ids"] = pa.ListArray.from_arrays(
            bounds, windows.token_type_ids
        )
    return columns


def _dataset(tables: list[pa.Table]) -> datasets.Dataset:
    """The chunks' tables as one Dataset. A fresh random fingerprint spares
    ``datasets`` from hashing the whole table; the project stamps its own."""
    return datasets.Dataset(
        pa.concat_tables(tables), fingerprint=generate_random_fingerprint()
    )


def first_answer_spans(answers: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Character start and end (exclusive) of each example's first answer, -1
    for examples without one."""
    starts = np.full(len(answers), -1, dtype=np.int64)
    ends = np.full(len(answers), -1, dtype=np.int64)
    for i, answer in enumerate(answers):
        if answer["answer_start"]:
            starts[i] = answer["answer_start"][0]
            ends[i] = starts[i] + len(answer["text"][0])
    return starts, ends


def _report_cut_questions(
    split: str, n_cut: int, n_examples: int, settings: WindowSettings
) -> None:
    if n_cut:
        logger.warning(
            "%s: %d of %d questions are longer than max_query_length (%d tokens) "
            "and were cut to it; raise tokenization.max_query_length "
            "(--max-query-length for the answer command) to keep more of them.",
            split,
            n_cut,
            n_examples,
            settings.max_query_length,
        )
    else:
        logger.info(
            "%s: no question is longer than %d tokens", split, settings.max_query_length
        )


def _chunks(n_rows: int, chunk_size: int, description: str):
    return tqdm(
        range(0, n_rows, chunk_size),
        desc=description,
        unit="chunk",
        disable=n_rows <= chunk_size,
    )


def build_train_features(
    examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    settings: WindowSettings,
    chunk_size: int,
    split: str = "train_examples",
) -> datasets.Dataset:
    """Windows of the training examples with ``start_positions``/``end_positions``;
    questions cut to ``max_query_length`` are counted and reported as ``split``'s."""
    tables = []
    n_cut = 0
    # Only the columns used: each chunk is read into Python objects.
    needed = examples.select_columns(["question", "context", "answers"])
    for begin in _chunks(len(examples), chunk_size, "tokenize train"):
        chunk = needed[begin : begin + chunk_size]
        windows = tokenize_windows(
            tokenizer, chunk["question"], chunk["context"], settings
        )
        n_cut += windows.cut_questions
        starts, ends = first_answer_spans(chunk["answers"])
        start_positions, end_positions = label_windows(
            windows, starts, ends, cls_positions(tokenizer, windows)
        )
        columns = _token_columns(windows)
        columns["start_positions"] = pa.array(start_positions)
        columns["end_positions"] = pa.array(end_positions)
        tables.append(pa.table(columns))
    _report_cut_questions(split, n_cut, len(examples), settings)
    features = _dataset(tables)
    logger.info("%d training examples -> %d windows", len(examples), len(features))
    return features


def build_validation_features(
    examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    settings: WindowSettings,
    chunk_size: int,
    split: str = "validation_examples",
) -> datasets.Dataset:
    """Windows of the evaluation examples with ``example_id`` and context-only
    ``offset_mapping`` (null for question and special tokens); questions cut to
    ``max_query_length`` are counted and reported as ``split``'s."""
    tables = []
    n_cut = 0
    needed = examples.select_columns(["id", "question", "context"])
    for begin in _chunks(len(examples), chunk_size, "tokenize validation"):
        chunk = needed[begin : begin + chunk_size]
        windows = tokenize_windows(
            tokenizer, chunk["question"], chunk["context"], settings
        )
        n_cut += windows.cut_questions
        columns = _token_columns(windows)
        columns["example_id"] = pa.array(
            np.asarray(chunk["id"], dtype=object)[windows.example_index], pa.string()
        )
        columns["offset_mapping"] = context_offsets(windows)
        columns["cls_index"] = pa.array(
            cls_positions(tokenizer, windows).astype(np.int32)
        )
        tables.append(pa.table(columns))
    _report_cut_questions(split, n_cut, len(examples), settings)
    features = _dataset(tables)
    logger.info("%d validation examples -> %d windows", len(examples), len(features))
    return features
