"""Multi-process training: every process runs the node, only the main one saves.

``torchrun --nproc_per_node N -m kedro run --nodes=fine_tune`` starts N copies
of the Kedro run. The Trainer splits the batches between them and keeps the
weights in step (DDP), so all N end with the same model; writing it N times to
one path would race. On every process but rank 0 this hook turns the catalog's
saves into no-ops; loads are untouched.

Without CUDA, the Trainer only joins the process group torchrun set up when
told to train on the CPU; the hook says so (``ACCELERATE_USE_CPU``), and
accelerate then picks the gloo backend. On GPUs nothing changes (NCCL).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import MemoryDataset
from kedro.io.core import AbstractDataset

logger = logging.getLogger(__name__)


def process_rank() -> int:
    """This process's global rank under torchrun/accelerate (0 when not launched
    by one)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes the launcher started (1 when not launched by one)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


class MainProcessOnly(AbstractDataset):
    """Wrap a dataset so that loading works and saving does nothing."""

    def __init__(self, dataset: AbstractDataset, name: str) -> None:
        self._dataset = dataset
        self._name = name
        self.metadata = getattr(dataset, "metadata", None)

    def load(self) -> Any:
        return self._dataset.load()

    def save(self, data: Any) -> None:
        logger.debug("rank %d: not saving %s", process_rank(), self._name)

    def _exists(self) -> bool:
        return self._dataset.exists()

    def _describe(self) -> dict[str, Any]:
        return {"rank": process_rank(), "wraps": type(self._dataset).__name__}


class MainProcessSaves:
    """On ranks other than 0, persisted catalog entries are not written; without
    CUDA, several processes train together on the CPU (gloo)."""

    @hook_impl
    def after_catalog_created(self) -> None:
        if world_size() == 1:
            return  # not launched by torchrun; torch is not imported for nothing
        import torch

        if not torch.cuda.is_available():
            os.environ.setdefault("ACCELERATE_USE_CPU", "true")

    @hook_impl
    def before_pipeline_run(self, pipeline: Any, catalog: Any) -> None:
        # Here rather than once the catalog exists: entries made by a dataset
        # factory ("{split}_features") exist only once a pipeline names them.
        rank = process_rank()
        if rank == 0:
            return
        wrapped = []
        for name in sorted(pipeline.datasets()):
            if name.startswith("params:") or name not in catalog:
                continue
            dataset = catalog.get(name)
            if isinstance(dataset, MemoryDataset | MainProcessOnly):
                continue
            catalog[name] = MainProcessOnly(dataset, name)
            wrapped.append(name)
        logger.info(
            "rank %d of a multi-process run: only rank 0 saves (%d entries)",
            rank,
            len(wrapped),
        )
