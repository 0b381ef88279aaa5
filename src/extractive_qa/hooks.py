"""Fail fast, with one clear message, when a run needs the Hugging Face Hub and
cannot reach it (instead of minutes of retries and a deep traceback)."""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline
from kedro_datasets.huggingface import HFDataset

from extractive_qa.datasets.squad_json import MalformedSourceError
from extractive_qa.pipelines.data_loading.nodes import container_problem

logger = logging.getLogger(__name__)

HUB_TIMEOUT_SECONDS = 3.0


class HubUnreachableError(RuntimeError):
    """The run needs the Hugging Face Hub and it cannot be reached."""


def hub_endpoint() -> tuple[str, int]:
    """Host and port of the hub (``HF_ENDPOINT`` overrides huggingface.co)."""
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    return url.hostname or "huggingface.co", url.port or (
        443 if url.scheme == "https" else 80
    )


def hub_reachable(timeout: float = HUB_TIMEOUT_SECONDS) -> bool:
    """Whether a TCP connection to the hub opens within ``timeout`` seconds."""
    host, port = hub_endpoint()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def hub_needs(pipeline: Pipeline, catalog: Any) -> list[str]:
    """What this run would fetch from the hub: HF datasets it loads and a model
    checkpoint that is not a local directory."""
    needs = []
    for name in sorted(pipeline.inputs()):
        if name.startswith("params:") or name not in catalog:
            continue
        dataset = catalog[name]
        if isinstance(dataset, HFDataset):
            needs.append(f"{name} (huggingface.HFDataset '{dataset.dataset_name}')")
    if "params:model" in pipeline.inputs():
        checkpoint = catalog.load("params:model").get("checkpoint")
        if checkpoint and not Path(checkpoint).is_dir():
            needs.append(f"params model.checkpoint ('{checkpoint}')")
    return needs


def _offline_mode() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


class HubAccessCheck:
    """Before a run, check the hub is reachable if the run needs it."""

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any
    ) -> None:
        needs = hub_needs(pipeline, catalog)
        if not needs or _offline_mode():
            # In offline mode the libraries read their local cache and say
            # themselves what is missing from it.
            return
        if hub_reachable():
            return
        host, port = hub_endpoint()
        raise HubUnreachableError(
            f"This run needs the Hugging Face Hub, which is unreachable "
            f"({host}:{port} did not answer within {HUB_TIMEOUT_SECONDS:.0f} s), "
            f"for: {'; '.join(needs)}.\n"
            "To run without the hub: put the data and the model on this machine and "
            "point conf/local at them, e.g. in conf/local/catalog.yml\n"
            "  raw_train: {type: json.JSONDataset, "
            "filepath: /path/KorQuAD_v1.0_train.json}\n"
            "  raw_validation: {type: json.JSONDataset, "
            "filepath: /path/KorQuAD_v1.0_dev.json}\n"
            "and in conf/local/parameters.yml\n"
            "  model: {checkpoint: /path/to/koelectra-base-v3-discriminator}\n"
            "(a directory written by save_pretrained). If they are already in your "
            "Hugging Face cache, set HF_HUB_OFFLINE=1 to use the cache."
        )


def _where(dataset: Any) -> str:
    """The file, folder or hub name behind a catalog dataset, for messages."""
    described = dataset._describe() if hasattr(dataset, "_describe") else {}
    for key in ("filepath", "path", "dataset_name"):
        if described.get(key):
            return str(described[key])
    return type(dataset).__name__


class RawSourceCheck:
    """Check the shape of what the ``load`` node reads as soon as it is loaded,
    so a malformed source is reported with its file rather than its catalog name
    only (the node itself never sees the file)."""

    def __init__(self) -> None:
        self._catalog: Any = None

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        self._catalog = catalog

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Any) -> None:
        if node.name != "load" or dataset_name.startswith("params:"):
            return
        problem = container_problem(data)
        if problem is None:
            return
        where = "unknown location"
        if self._catalog is not None and dataset_name in self._catalog:
            where = _where(self._catalog[dataset_name])
        raise MalformedSourceError(f"{dataset_name} ({where}): {problem}")


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
