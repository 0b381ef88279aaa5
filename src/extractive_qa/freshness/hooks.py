"""The Kedro hooks that check a node's persisted inputs before it runs and
stamp what it saves."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline
from kedro.pipeline.node import Node

from extractive_qa.freshness.provenance import (
    EntryState,
    MissingInputError,
    Provenance,
    missing_message,
    run_command,
    stale_message,
)
from extractive_qa.freshness.stamps import (
    UNSTAMPED,
    Stamp,
    artifact_location,
    code_version,
    remove_stamp,
    write_stamp,
)
from extractive_qa.qa.fingerprint import StaleArtifactError
from extractive_qa.stages import node_stages, stages_from

logger = logging.getLogger(__name__)


class StampHooks:
    """Check a node's persisted inputs against the current configuration
    before it runs, and stamp what it saves."""

    def __init__(self, pipelines: Any = None) -> None:
        self._pipelines = pipelines
        self._provenance: Provenance | None = None
        self._whole = Pipeline([])
        self._allow_stale = False
        self._stamps: dict[str, Stamp] = {}
        self._produced: dict[str, str] = {}
        # Each node's machine stage, in run order, when the storage root is
        # shared by machines (a URL); empty on a local folder.
        self._stages: dict[str, str] = {}

    def _registered(self) -> Mapping[str, Pipeline]:
        if self._pipelines is not None:
            return self._pipelines
        from kedro.framework.project import pipelines

        return pipelines

    @hook_impl
    def before_pipeline_run(self, pipeline: Pipeline, catalog: Any) -> None:
        parameters = catalog.load("parameters") if "parameters" in catalog else {}
        self._allow_stale = bool(parameters.get("allow_stale"))
        registered = self._registered()
        self._provenance = Provenance(catalog, [pipeline, *registered.values()])
        # What a suggested `kedro run --from-nodes=...` runs.
        self._whole = registered.get("__default__") or pipeline
        self._stamps, self._produced = {}, {}
        self._stages = {}
        if "://" in str(parameters.get("storage") or ""):
            self._stages = node_stages(self._registered())

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str, node: Node) -> None:
        """Stop before loading a persisted input that was never made (Kedro
        loads a node's inputs before before_node_run)."""
        provenance = self._provenance
        if (
            provenance is None
            or dataset_name in self._produced
            or dataset_name not in provenance.producers
        ):
            return
        entry = provenance.state(dataset_name)
        if entry.state != "missing":
            return
        dataset = provenance.dataset(dataset_name)
        fs, where = artifact_location(dataset)
        if fs.exists(where):
            # Something is there (saved in the other table format, or cut
            # short): the dataset's own load says what.
            return
        protocol = getattr(dataset, "_protocol", "file")
        if protocol not in ("file", None):
            where = f"{protocol}://{where}"
        maker = str(entry.rebuild_from)
        make = run_command(
            provenance.rebuild_starts(self._whole, [maker], to=maker), to=maker
        )
        stage = self._stages.get(maker)
        raise MissingInputError(missing_message(node, entry, where, make, stage))

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        provenance = self._provenance
        if provenance is None:
            return
        actual: dict[str, str] = {}
        stale: list[EntryState] = []
        for name in provenance.data_inputs(node):
            if name in self._produced:
                actual[name] = self._produced[name]
            elif name in provenance.producers:
                recorded = provenance.recorded(name)
                actual[name] = recorded.digest if recorded else UNSTAMPED
                entry = provenance.state(name)
                if entry.state == "stale":
                    stale.append(entry)
            else:
                actual[name] = provenance.source(name) or f"absent:{name}"
        if stale and not self._allow_stale:
            starts = provenance.rebuild_starts(
                self._whole, [str(e.rebuild_from) for e in stale]
            )
            stages = stages_from(self._stages, starts)
            raise StaleArtifactError(stale_message(node, stale, starts, stages))
        if stale:
            logger.warning(
                "allow_stale is set: %s runs on stale inputs: %s",
                node.name,
                "; ".join(f"{e.name} ({e.why})" for e in stale),
            )
        self._stamps[node.name] = Stamp(
            node.name,
            code_version(node),
            provenance.params(node),
            actual,
            allow_stale=bool(stale),
        )

    @hook_impl
    def before_dataset_saved(self, dataset_name: str, node: Node) -> None:
        if self._provenance is not None and node.name in self._stamps:
            dataset = self._provenance.dataset(dataset_name)
            if dataset is not None:
                remove_stamp(dataset)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, node: Node) -> None:
        stamp = self._stamps.get(node.name)
        if self._provenance is None or stamp is None:
            return
        dataset = self._provenance.dataset(dataset_name)
        if dataset is not None:
            write_stamp(dataset, stamp)
        self._provenance.forget(dataset_name)
        self._produced[dataset_name] = stamp.digest
