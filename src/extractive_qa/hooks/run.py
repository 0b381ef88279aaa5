"""Hooks around every run: the failed node, checkpoint clean-up, node times."""

from __future__ import annotations

import logging
import time
from typing import Any

from kedro.framework.hooks import hook_impl

from extractive_qa.failures import note_failed_node
from extractive_qa.qa_model import QAModel

logger = logging.getLogger(__name__)


class FailedNode:
    """Remember which node a run failed in, for the last lines of the run: the
    node whose inputs are loading, which is running or whose outputs are
    saving, so that an input that cannot load, or a check before the node
    runs, names its node too.

    Registered last, so that Kedro calls it before hooks that raise again."""

    @hook_impl
    def before_pipeline_run(self) -> None:
        note_failed_node(None)

    @hook_impl
    def before_dataset_loaded(self, node: Any) -> None:
        note_failed_node(node.name)

    @hook_impl
    def before_node_run(self, node: Any) -> None:
        note_failed_node(node.name)

    @hook_impl
    def before_dataset_saved(self, node: Any) -> None:
        note_failed_node(node.name)

    @hook_impl
    def on_node_error(self, node: Any) -> None:
        note_failed_node(node.name)

    @hook_impl
    def after_pipeline_run(self) -> None:
        note_failed_node(None)


class CheckpointCleanup:
    """Once a model that carries an ``after_saved`` action (fine_tune's
    checkpoint removal) is saved, run it: checkpoints outlive every moment at
    which a kill could lose the training."""

    @hook_impl
    def after_dataset_saved(self, data: Any) -> None:
        after_saved = getattr(data, "after_saved", None)
        if isinstance(data, QAModel) and after_saved is not None:
            after_saved()


class NodeTimer:
    """Log each node's wall time, and all of them at the end of the run."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    @hook_impl
    def before_node_run(self, node: Any) -> None:
        self._started[node.name] = time.perf_counter()

    @hook_impl
    def after_node_run(self, node: Any) -> None:
        self.seconds[node.name] = time.perf_counter() - self._started.pop(node.name)
        logger.info("node %s took %.1f s", node.name, self.seconds[node.name])

    @hook_impl
    def after_pipeline_run(self) -> None:
        if self.seconds:
            summary = ", ".join(f"{name} {s:.1f} s" for name, s in self.seconds.items())
            logger.info("node times: %s", summary)
        self.seconds = {}
