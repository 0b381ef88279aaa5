"""Start/end logits for every window, in length-sorted, dynamically padded batches."""

from __future__ import annotations

import contextlib
import logging

import datasets
import numpy as np
import pyarrow as pa
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel

from extractive_qa.qa.batching import TOKEN_COLUMNS, WindowCollator

logger = logging.getLogger(__name__)


def pick_device(requested: str = "auto") -> torch.device:
    """``auto`` means CUDA when present, then Apple MPS, else the CPU; a device
    asked for by name must be present."""
    if requested != "auto":
        device = torch.device(requested)
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


def _autocast(device: torch.device):
    # bf16 halves memory traffic on GPUs that support it; on the CPU it is slower.
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def predict_window_logits(
    model: PreTrainedModel,
    features: datasets.Dataset,
    *,
    pad_token_id: int,
    batch_size: int,
    device: str,
) -> datasets.Dataset:
    """Logits of every window as ragged ``start_logits``/``end_logits`` columns,
    one row per feature in the features' order."""
    target = pick_device(device)
    model = model.to(target).eval()
    # Each column read once as lists: row-by-row dataset access costs more than
    # the forward pass of a small model.
    columns = {c: features[c][:] for c in TOKEN_COLUMNS if c in features.column_names}
    lengths = np.fromiter((len(ids) for ids in columns["input_ids"]), dtype=np.int64)
    # Sorting by length keeps padding inside a batch to a few tokens.
    order = np.argsort(lengths, kind="stable")
    collate = WindowCollator(
        pad_token_id=pad_token_id,
        max_width=model.config.max_position_embeddings,
    )
    starts: list[np.ndarray] = [np.empty(0, np.float32)] * len(order)
    ends: list[np.ndarray] = [np.empty(0, np.float32)] * len(order)
    batches = range(0, len(order), batch_size)
    with torch.inference_mode(), _autocast(target):
        for begin in tqdm(batches, desc="predict", unit="batch", mininterval=2):
            rows = order[begin : begin + batch_size]
            batch = collate(
                [{c: values[row] for c, values in columns.items()} for row in rows]
            )
            output = model(**{k: v.to(target) for k, v in batch.items()})
            start_logits = output.start_logits.float().cpu().numpy()
            end_logits = output.end_logits.float().cpu().numpy()
            for i, row in enumerate(rows):
                starts[row] = start_logits[i, : lengths[row]]
                ends[row] = end_logits[i, : lengths[row]]
    logger.info("predicted %d windows on %s", len(order), target)
    return datasets.Dataset(
        pa.table(
            {
                "start_logits": _ragged(starts, lengths),
                "end_logits": _ragged(ends, lengths),
            }
        )
    )


def _ragged(rows: list[np.ndarray], lengths: np.ndarray) -> pa.ListArray:
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    values = np.concatenate(rows) if rows else np.empty(0, np.float32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.float32()))
