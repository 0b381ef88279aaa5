"""Start/end logits for every window, in length-sorted, dynamically padded batches."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import weakref
from typing import TYPE_CHECKING

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch
from tqdm.auto import tqdm

from extractive_qa.qa.batching import TOKEN_COLUMNS, RaggedColumn, WindowCollator

if TYPE_CHECKING:
    from transformers import PreTrainedModel

logger = logging.getLogger(__name__)


def pick_device(requested: str = "auto") -> torch.device:
    """``auto`` means CUDA when present, then Apple MPS, else the CPU; a device
    asked for by name must be present."""
    if requested != "auto":
        try:
            device = torch.device(requested)
        except RuntimeError:
            raise ValueError(
                f"device {requested!r} is not a device torch knows; use 'auto' "
                "(CUDA, then MPS, then the CPU), 'cpu', 'cuda', 'cuda:1' or 'mps'."
            ) from None
        if device.type == "meta":
            raise ValueError(
                "device 'meta' holds no data, so nothing can run on it; use "
                "'auto' (CUDA, then MPS, then the CPU) or 'cpu'."
            )
        present = {
            "cuda": torch.cuda.is_available,
            "mps": torch.backends.mps.is_available,
        }.get(device.type, lambda: True)
        if not present():
            raise ValueError(
                f"device {requested!r} is not available on this machine (torch "
                f"{torch.__version__}); use 'auto' (CUDA, then MPS, then the CPU) "
                "or 'cpu'."
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def usable_positions(model: PreTrainedModel) -> int | None:
    """How many tokens a window of ``model`` may have; None when any number.

    Usually ``max_position_embeddings``. RoBERTa-style embeddings number the
    positions from ``padding_idx + 1`` (their position table has a padding
    row), so the first ``padding_idx + 1`` rows are never a token's position.
    Models with relative positions and no table (XLNet reports -1) have no
    limit.
    """
    positions = getattr(model.config, "max_position_embeddings", None)
    if not isinstance(positions, int) or positions < 1:
        return None
    embeddings = getattr(model.base_model, "embeddings", None)
    table = getattr(embeddings, "position_embeddings", None)
    padding_idx = getattr(table, "padding_idx", None)
    if isinstance(padding_idx, int):
        return positions - padding_idx - 1
    return positions


def check_window_width(
    features: datasets.Dataset, positions: int | None, name: str = "the features"
) -> None:
    """Refuse windows longer than the model has positions for, naming the
    feature set ``name`` and the setting, before the model fails on them with
    a tensor-size error. ``positions`` None: the model takes any length."""
    if len(features) == 0 or positions is None:
        return
    # Through the dataset's indices, if it has any (a selection of rows).
    lengths = pc.list_value_length(features.with_format("arrow")["input_ids"])
    longest = pc.max(lengths).as_py()
    if longest > positions:
        raise ValueError(
            f"{name} have windows of up to {longest} tokens, but the model has "
            f"{positions} positions. Lower tokenization.max_length (--max-length "
            f"for the answer command) to {positions} or less, and make the windows "
            "again."
        )


def _autocast(device: torch.device):
    # bf16 halves memory traffic on GPUs that support it; on the CPU it is slower.
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


# Windows read, predicted and written out at once: predict's memory is bounded
# by this, not by the number of windows.
PREDICT_CHUNK = 8192
LOGITS_SCHEMA = pa.schema(
    [("start_logits", pa.list_(pa.float32())), ("end_logits", pa.list_(pa.float32()))]
)


def ragged_columns(table: pa.Table) -> dict[str, RaggedColumn]:
    """Each list column of ``table`` as flat values and offsets."""
    columns = {}
    for name in table.column_names:
        array = table[name].combine_chunks()
        # Offsets index ``values``, the whole array behind a sliced one.
        columns[name] = RaggedColumn(
            array.values.to_numpy(zero_copy_only=False),
            array.offsets.to_numpy(zero_copy_only=False).astype(np.int64),
        )
    return columns


def _chunk_logits(
    model: PreTrainedModel,
    table: pa.Table,
    collate: WindowCollator,
    batch_size: int,
    target: torch.device,
    progress: tqdm,
) -> pa.RecordBatch:
    """The logits of one chunk of windows, in the chunk's order."""
    ragged = ragged_columns(table)
    lengths = np.diff(ragged["input_ids"].offsets)
    # Sorting by length keeps padding inside a batch to a few tokens.
    order = np.argsort(lengths, kind="stable")
    starts: list[np.ndarray] = [np.empty(0, np.float32)] * len(order)
    ends: list[np.ndarray] = [np.empty(0, np.float32)] * len(order)
    for begin in range(0, len(order), batch_size):
        rows = order[begin : begin + batch_size]
        batch = collate.pad_rows(ragged, rows)
        output = model(**{k: v.to(target) for k, v in batch.items()})
        start_logits = output.start_logits.float().cpu().numpy()
        end_logits = output.end_logits.float().cpu().numpy()
        for i, row in enumerate(rows):
            starts[row] = start_logits[i, : lengths[row]]
            ends[row] = end_logits[i, : lengths[row]]
        progress.update(1)
    return pa.record_batch(
        [_ragged(starts, lengths), _ragged(ends, lengths)], schema=LOGITS_SCHEMA
    )


def predict_window_logits(
    model: PreTrainedModel,
    features: datasets.Dataset,
    *,
    pad_token_id: int,
    batch_size: int,
    device: str,
    name: str = "the features",
) -> datasets.Dataset:
    """Logits of every window as ragged ``start_logits``/``end_logits`` columns,
    one row per feature in the features' order.

    ``PREDICT_CHUNK`` windows at a time are read, predicted and appended to an
    Arrow file in a temporary folder; the result is memory-mapped from that
    file, which is removed once the returned dataset is no longer used.
    """
    positions = usable_positions(model)
    check_window_width(features, positions, name)
    target = pick_device(device)
    model = model.to(target).eval()
    names = [c for c in TOKEN_COLUMNS if c in features.column_names]
    tokens = features.select_columns(names).with_format("arrow")
    collate = WindowCollator(pad_token_id=pad_token_id, max_width=positions)
    folder = tempfile.mkdtemp(prefix="extractive_qa_logits_")
    path = os.path.join(folder, "logits.arrow")
    chunks = range(0, len(features), PREDICT_CHUNK)
    batches = sum(
        -(-min(PREDICT_CHUNK, len(features) - first) // batch_size) for first in chunks
    )
    try:
        with (
            pa.OSFile(path, "wb") as sink,
            pa.ipc.new_stream(sink, LOGITS_SCHEMA) as writer,
            tqdm(total=batches, desc="predict", unit="batch", mininterval=2) as bar,
            torch.inference_mode(),
            _autocast(target),
        ):
            for first in chunks:
                # A slice reads only its rows; [:] of a column would read them all.
                table = tokens[first : first + PREDICT_CHUNK]
                writer.write_batch(
                    _chunk_logits(model, table, collate, batch_size, target, bar)
                )
        logits = datasets.Dataset.from_file(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(logits, shutil.rmtree, folder, ignore_errors=True)
    logger.info("predicted %d windows on %s", len(features), target)
    return logits


def _ragged(rows: list[np.ndarray], lengths: np.ndarray) -> pa.ListArray:
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    values = np.concatenate(rows) if rows else np.empty(0, np.float32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.float32()))
