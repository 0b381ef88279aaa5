"""Dynamic padding: windows are stored unpadded and padded per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

TOKEN_COLUMNS = ("input_ids", "token_type_ids")
LABEL_COLUMNS = ("start_positions", "end_positions")


class RaggedColumn(NamedTuple):
    """A list column as flat values and offsets: row ``i`` is
    ``values[offsets[i]:offsets[i + 1]]``."""

    values: np.ndarray
    offsets: np.ndarray


@dataclass(frozen=True)
class WindowCollator:
    """Pad a list of windows to the longest one in the batch.

    ``pad_to_multiple_of`` rounds the padded length up (8 suits tensor cores),
    but never past ``max_width``, the model's number of positions.
    """

    pad_token_id: int
    pad_to_multiple_of: int = 8
    max_width: int | None = None

    def width(self, longest: int) -> int:
        """The padded length of a batch whose longest window has ``longest``
        tokens."""
        multiple = self.pad_to_multiple_of
        width = -(-longest // multiple) * multiple if multiple > 1 else longest
        if self.max_width is not None:
            width = min(width, max(longest, self.max_width))
        return width

    def __call__(self, windows: Sequence[dict]) -> dict[str, torch.Tensor]:
        longest = max(len(window["input_ids"]) for window in windows)
        width = self.width(longest)
        batch = {}
        for column in TOKEN_COLUMNS:
            if column not in windows[0]:
                continue
            fill = self.pad_token_id if column == "input_ids" else 0
            padded = torch.full((len(windows), width), fill, dtype=torch.long)
            for row, window in enumerate(windows):
                values = window[column]
                padded[row, : len(values)] = torch.as_tensor(values, dtype=torch.long)
            batch[column] = padded
        lengths = torch.tensor([len(window["input_ids"]) for window in windows])
        batch["attention_mask"] = (
            torch.arange(width)[None, :] < lengths[:, None]
        ).long()
        for column in LABEL_COLUMNS:
            if column in windows[0]:
                batch[column] = torch.tensor([window[column] for window in windows])
        return batch

    def pad_rows(
        self, ragged: dict[str, RaggedColumn], rows: np.ndarray
    ) -> dict[str, torch.Tensor]:
        """The token columns of ``rows`` padded as ``__call__`` pads them, read
        straight from ragged columns without a Python object per token.

        The attention mask is left out when no window of the batch is padded:
        the model then attends to every token anyway, and SDPA may choose its
        faster kernels that take no mask.
        """
        offsets = ragged["input_ids"].offsets
        starts = offsets[rows]
        lengths = offsets[rows + 1] - starts
        width = self.width(int(lengths.max()))
        positions = np.arange(width)
        inside = positions[None, :] < lengths[:, None]
        # Past a window's end, read its last token again; the padding replaces it.
        within = np.minimum(positions[None, :], np.maximum(lengths - 1, 0)[:, None])
        batch = {}
        for column in TOKEN_COLUMNS:
            if column not in ragged:
                continue
            values, column_offsets = ragged[column]
            if not len(values):
                # Only empty windows: nothing to read, all padding.
                values = np.zeros(1, dtype=np.int64)
            # Clamped: an empty window at the end of the values has no last token.
            read = values[
                np.minimum(column_offsets[rows][:, None] + within, len(values) - 1)
            ]
            fill = self.pad_token_id if column == "input_ids" else 0
            batch[column] = torch.from_numpy(
                np.where(inside, read, fill).astype(np.int64)
            )
        if not inside.all():
            batch["attention_mask"] = torch.from_numpy(inside.astype(np.int64))
        return batch


def length_bucket_order(
    lengths: np.ndarray,
    batch_size: int,
    bucket_batches: int,
    permutation: np.ndarray,
    batch_permutation: np.ndarray,
) -> list[int]:
    """Window indices in training order: batches of similar length, in random
    order.

    ``permutation`` (a random order of all windows) is cut into buckets of
    ``bucket_batches`` batches; each bucket is sorted by length and cut into
    batches, which are then put in the order of ``batch_permutation`` (a random
    order of ``n_batches(...)`` batches). Small buckets keep batches nearly as
    varied as random ones, yet most batches hold no long window. Measured on
    the embedded default (4000 questions, 2 epochs, 2-core CPU):
    ``group_by_length`` (buckets of 50 batches, longest first) trained 3.4x
    faster than random batches but ended 2.6 F1 lower; buckets of 4 batches in
    random order trained 1.9x faster at the same F1 (89.75 against 89.70).
    """
    bucket = batch_size * bucket_batches
    batches = []
    for begin in range(0, len(permutation), bucket):
        members = permutation[begin : begin + bucket]
        members = members[np.argsort(-lengths[members], kind="stable")]
        batches.extend(
            members[i : i + batch_size] for i in range(0, len(members), batch_size)
        )
    if len(batch_permutation) != len(batches):
        raise ValueError(
            f"batch_permutation orders {len(batch_permutation)} batches; there "
            f"are {len(batches)}."
        )
    return [int(i) for b in batch_permutation for i in batches[b]]


def n_batches(n_windows: int, batch_size: int, bucket_batches: int) -> int:
    """How many batches ``length_bucket_order`` makes of ``n_windows``."""
    bucket = batch_size * bucket_batches
    full, rest = divmod(n_windows, bucket)
    return full * bucket_batches + -(-rest // batch_size)


class LengthBucketSampler(torch.utils.data.Sampler[int]):
    """Draws batches of similar length (see ``length_bucket_order``).

    The order of an epoch depends only on ``seed`` and the epoch number the
    Trainer passes to ``set_epoch``, not on the global RNG: a run resumed from
    a checkpoint sees exactly the batches an uninterrupted run would.
    """

    def __init__(
        self, lengths: np.ndarray, batch_size: int, bucket_batches: int, seed: int
    ):
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.bucket_batches = bucket_batches
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        n = len(self.lengths)
        permutation = torch.randperm(n, generator=generator).numpy()
        batch_permutation = torch.randperm(
            n_batches(n, self.batch_size, self.bucket_batches), generator=generator
        ).numpy()
        return iter(
            length_bucket_order(
                self.lengths,
                self.batch_size,
                self.bucket_batches,
                permutation,
                batch_permutation,
            )
        )
