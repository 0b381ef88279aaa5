"""Fail fast, with one clear message, when a run needs the Hugging Face Hub and
cannot reach it (instead of minutes of retries and a deep traceback)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline

from extractive_qa.datasets.hub_split import HubSplitDataset, local_file_param
from extractive_qa.qa_model import hub_offline, looks_like_path

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


def _catalog_inputs(pipeline: Pipeline, catalog: Any) -> dict[str, Any]:
    """The pipeline's inputs that are catalog datasets (not parameters), by name."""
    return {
        name: catalog[name]
        for name in sorted(pipeline.inputs())
        if not name.startswith("params:") and name in catalog
    }


def _hub_splits(pipeline: Pipeline, catalog: Any) -> dict[str, HubSplitDataset]:
    """The inputs that load a hub dataset split: not given a local file."""
    return {
        name: dataset
        for name, dataset in _catalog_inputs(pipeline, catalog).items()
        if isinstance(dataset, HubSplitDataset) and dataset.filepath is None
    }


def _hub_checkpoint(pipeline: Pipeline, catalog: Any) -> str | None:
    """``model.checkpoint`` when the pipeline reads it and it is not a local
    directory (so ``from_pretrained`` takes it for a hub id)."""
    if "params:model" not in pipeline.inputs():
        return None
    checkpoint = catalog.load("params:model").get("checkpoint")
    if checkpoint and not Path(checkpoint).is_dir() and not looks_like_path(checkpoint):
        return str(checkpoint)
    return None


def _is_hf_dataset(dataset: Any) -> bool:
    """Whether ``dataset`` is kedro-datasets' ``huggingface.HFDataset`` (or a
    subclass), without importing that package: its import pulls in transformers'
    pipelines, seconds at the start of every kedro command."""
    return any(
        cls.__name__ == "HFDataset"
        and cls.__module__.startswith("kedro_datasets.huggingface")
        for cls in type(dataset).__mro__
    )


def hub_needs(pipeline: Pipeline, catalog: Any) -> list[str]:
    """What this run would fetch from the hub: dataset splits it loads from the
    hub (or its cache) and a model checkpoint that is not a local directory."""
    hub_splits = _hub_splits(pipeline, catalog)
    needs = []
    for name, dataset in _catalog_inputs(pipeline, catalog).items():
        if name in hub_splits:
            needs.append(
                f"{name} (Hugging Face dataset '{dataset.dataset_name}', "
                f"split {dataset.split})"
            )
        elif _is_hf_dataset(dataset):
            needs.append(f"{name} (huggingface.HFDataset '{dataset.dataset_name}')")
    checkpoint = _hub_checkpoint(pipeline, catalog)
    if checkpoint:
        needs.append(f"params model.checkpoint ('{checkpoint}')")
    return needs


def without_hub_advice(
    pipeline: Pipeline, catalog: Any, run_params: dict[str, Any]
) -> str:
    """The commands that run this pipeline without the hub: from the local
    Hugging Face cache, or from local files given as runtime parameters."""
    env = run_params.get("env")
    kedro_run = "kedro run" + (f" --env {env}" if env else "")
    local_files = [
        f"{local_file_param(dataset.split)}=/path/to/{dataset.split}.json"
        for dataset in _hub_splits(pipeline, catalog).values()
    ]
    checkpoint = _hub_checkpoint(pipeline, catalog)
    if checkpoint:
        local_files.append(f"model.checkpoint=/path/to/{checkpoint.split('/')[-1]}")
    advice = (
        "To run without the hub, either\n"
        "- use what an earlier run (or a copy from a machine with hub access) left "
        "in the local Hugging Face cache (~/.cache/huggingface, or HF_HOME):\n"
        f"    HF_HUB_OFFLINE=1 {kedro_run}\n"
    )
    if local_files:
        advice += (
            "- or read local files (SQuAD/KorQuAD JSON, a save_pretrained folder) "
            "given as runtime parameters:\n"
            f"    {kedro_run} --params={','.join(local_files)}\n"
        )
        if run_params.get("runtime_params"):
            advice += "  (with the other --params of this run added)\n"
    hf_datasets = [
        name
        for name, dataset in _catalog_inputs(pipeline, catalog).items()
        if _is_hf_dataset(dataset)
    ]
    if hf_datasets:
        advice += (
            f"- {', '.join(hf_datasets)}: huggingface.HFDataset asks the hub even "
            "when the data is cached; give them type "
            "extractive_qa.datasets.HubSplitDataset (dataset_name, split, "
            "filepath) in the catalog of the environment you run.\n"
        )
    return advice + (
        "Runtime parameters (--params) reach every environment; conf/local is "
        "read only when no other --env is named."
    )


class HubAccessCheck:
    """Before a run, check the hub is reachable if the run needs it."""

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any
    ) -> None:
        needs = hub_needs(pipeline, catalog)
        if not needs or hub_offline():
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
            + without_hub_advice(pipeline, catalog, run_params)
        )
