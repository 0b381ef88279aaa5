"""``kedro run --runner=extractive_qa.runners.FreshRunner``: run only the
nodes whose persisted outputs are missing, stale or unverified against the current
configuration (see ``freshness/``); a rerun with unchanged settings does no
node work."""

from __future__ import annotations

from typing import Any

from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from extractive_qa.freshness import Provenance, nodes_to_run


class FreshRunner(SequentialRunner):
    """``SequentialRunner`` that skips the nodes whose outputs are fresh."""

    def run(
        self,
        pipeline: Pipeline,
        catalog: Any,
        hook_manager: Any = None,
        run_id: str | None = None,
        only_missing_outputs: bool = False,
    ) -> dict[str, Any]:
        return super().run(
            pipeline, catalog, hook_manager, run_id, only_missing_outputs=True
        )

    def _filter_pipeline_for_missing_outputs(
        self, pipeline: Pipeline, catalog: Any
    ) -> Pipeline:
        from kedro.framework.project import pipelines

        provenance = Provenance(catalog, [pipeline, *pipelines.values()])
        to_run, states = nodes_to_run(pipeline, provenance)
        for entry in states.values():
            if entry.state in ("stale", "unverified"):
                self._logger.info("%s is %s: %s", entry.name, entry.state, entry.why)
        skipped = [n.name for n in pipeline.nodes if n not in to_run]
        if not to_run:
            self._logger.info(
                "All %d nodes are fresh; nothing to run.", len(pipeline.nodes)
            )
            return Pipeline([])
        self._logger.info(
            "Running %d of %d nodes (%s); fresh, skipped: %s",
            len(to_run),
            len(pipeline.nodes),
            ", ".join(n.name for n in to_run),
            ", ".join(skipped) or "none",
        )
        return pipeline.filter(node_names=[n.name for n in to_run])
