"""Dynamic padding: windows are stored unpadded and padded per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

TOKEN_COLUMNS = ("input_ids", "token_type_ids")
LABEL_COLUMNS = ("start_positions", "end_positions")


@dataclass(frozen=True)
class WindowCollator:
    """Pad a list of windows to the longest one in the batch.

    ``pad_to_multiple_of`` rounds the padded length up (8 suits tensor cores),
    but never past ``max_width``, the model's number of positions.
    """

    pad_token_id: int
    pad_to_multiple_of: int = 8
    max_width: int | None = None

    def __call__(self, windows: Sequence[dict]) -> dict[str, torch.Tensor]:
        longest = max(len(window["input_ids"]) for window in windows)
        multiple = self.pad_to_multiple_of
        width = -(-longest // multiple) * multiple if multiple > 1 else longest
        if self.max_width is not None:
            width = min(width, max(longest, self.max_width))
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
