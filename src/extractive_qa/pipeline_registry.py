"""Project pipelines: one per stage group, and the training run as the default."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# Run on demand, on an already trained model: `kedro run --pipeline=answer`.
NOT_IN_DEFAULT = ("answer",)


def register_pipelines() -> dict[str, Pipeline]:
    """Every pipeline under ``pipelines/`` by folder name; ``__default__`` runs all
    but those in ``NOT_IN_DEFAULT``."""
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        pipeline for name, pipeline in pipelines.items() if name not in NOT_IN_DEFAULT
    )
    return pipelines
