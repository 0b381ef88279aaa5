"""Project pipelines: one per stage group, and all of them as the default."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# Pipelines that run only when named (kedro run --pipelines=bench), never as
# part of __default__.
ON_REQUEST = frozenset({"bench"})


def register_pipelines() -> dict[str, Pipeline]:
    """Every pipeline under ``pipelines/`` by folder name; ``__default__`` runs
    all of them except the ``ON_REQUEST`` ones (the benchmark)."""
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (p for name, p in pipelines.items() if name not in ON_REQUEST),
        start=Pipeline([]),
    )
    return pipelines
