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
    columns = {"input_ids": pa.array(windows.input_ids, pa.list_(pa.int32()))}
    if windows.token_type_ids is not None:
        columns["token_type_ids"] = pa.array(
            windows.token_type_ids, pa.list_(pa.int8())
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
) -> datasets.Dataset:
    """Windows of the training examples with ``start_positions``/``end_positions``."""
    tables = []
    for begin in _chunks(len(examples), chunk_size, "tokenize train"):
        chunk = examples[begin : begin + chunk_size]
        windows = tokenize_windows(
            tokenizer, chunk["question"], chunk["context"], settings
        )
        starts, ends = first_answer_spans(chunk["answers"])
        start_positions, end_positions = label_windows(
            windows, starts, ends, cls_positions(tokenizer, windows)
        )
        columns = _token_columns(windows)
        columns["start_positions"] = pa.array(start_positions)
        columns["end_positions"] = pa.array(end_positions)
        tables.append(pa.table(columns))
    features = _dataset(tables)
    logger.info("%d training examples -> %d windows", len(examples), len(features))
    return features


def build_validation_features(
    examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    settings: WindowSettings,
    chunk_size: int,
) -> datasets.Dataset:
    """Windows of the evaluation examples with ``example_id`` and context-only
    ``offset_mapping`` (null for question and special tokens)."""
    tables = []
    for begin in _chunks(len(examples), chunk_size, "tokenize validation"):
        chunk = examples[begin : begin + chunk_size]
        windows = tokenize_windows(
            tokenizer, chunk["question"], chunk["context"], settings
        )
        columns = _token_columns(windows)
        columns["example_id"] = pa.array(
            np.asarray(chunk["id"], dtype=object)[windows.example_index], pa.string()
        )
        columns["offset_mapping"] = context_offsets(windows)
        tables.append(pa.table(columns))
    features = _dataset(tables)
    logger.info("%d validation examples -> %d windows", len(examples), len(features))
    return features
