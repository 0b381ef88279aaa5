"""Where fine-tuning keeps its checkpoints, and which one a rerun resumes.

Each run works in ``<checkpoint folder>/run-<fingerprint>``, where the fingerprint
hashes everything that decides the result: the training parameters, the
fingerprints of the training and validation windows and the starting weights.
A rerun after a crash or a kill finds its own folder and resumes from the last
complete checkpoint; a run with other settings or data gets another folder, so
it never resumes someone else's checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import datasets
import torch
from transformers import (
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)

from extractive_qa.freshness.params import canonical_numbers, setting_counts
from extractive_qa.qa.fingerprint import read_stamp

logger = logging.getLogger(__name__)

# The Trainer writes trainer_state.json last, so a checkpoint holding it is whole.
_COMPLETE_MARKER = "trainer_state.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def weights_fingerprint(model: torch.nn.Module) -> str:
    """A hash of every parameter and buffer (names, shapes, values)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy())
    return digest.hexdigest()[:16]


def run_fingerprint(
    training: dict[str, Any],
    train_features: datasets.Dataset,
    validation_features: datasets.Dataset,
    model: torch.nn.Module,
) -> str:
    """A hash of what decides the outcome of a fine-tuning run."""
    stamps = [read_stamp(train_features), read_stamp(validation_features)]
    described = {
        "training": canonical_numbers(
            # Knobs that change where files go or how fast are left out.
            {
                k: v
                for k, v in sorted(training.items())
                if setting_counts(f"training.{k}", v)
            }
        ),
        "features": [None if s is None else s.short() for s in stamps],
        # Unstamped windows (built outside the pipeline) still tie by content size.
        "windows": [len(train_features), len(validation_features)],
        "weights": weights_fingerprint(model),
    }
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_directory(output_dir: str, fingerprint: str) -> Path:
    """The working folder of the run with this fingerprint."""
    return Path(output_dir) / f"run-{fingerprint}"


def last_complete_checkpoint(run_dir: Path) -> Path | None:
    """The highest-step checkpoint that was written to the end, if any.

    A checkpoint cut short by a kill lacks a whole trainer_state.json and is
    skipped.
    """
    if not run_dir.is_dir():
        return None
    complete = [
        (int(match.group(1)), path)
        for path in run_dir.iterdir()
        if (match := _CHECKPOINT.match(path.name)) and _whole_state(path)
    ]
    return max(complete)[1] if complete else None


def _whole_state(checkpoint: Path) -> bool:
    """Whether the checkpoint's trainer_state.json was written to the end (a
    kill between opening and writing it leaves an empty or cut file)."""
    try:
        json.loads((checkpoint / _COMPLETE_MARKER).read_text())
    except (OSError, ValueError):
        return False
    return True


class CheckpointLog(TrainerCallback):
    """Log each checkpoint once the Trainer has written it whole: from then on
    a run that stops resumes there."""

    def on_save(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        if state.is_world_process_zero:
            logger.info("saved checkpoint-%d in %s", state.global_step, args.output_dir)


def local_other_runs(output_dir: str, run_dir: Path) -> list[str]:
    """The runs other than ``run_dir``'s with checkpoints in the local folder."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and p.name.startswith("run-") and p.name != run_dir.name
    )


def note_other_runs(output_dir: str, others: list[str]) -> None:
    """Say so when the working folder holds checkpoints of other runs."""
    if others:
        logger.warning(
            "%s holds checkpoints of %d other run(s) with other settings, data or "
            "starting weights (%s); they are not resumed. Delete them to free space.",
            output_dir,
            len(others),
            ", ".join(others),
        )
