"""Project pipelines: one per stage group, and all of them as the default."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

from extractive_qa.pipelines.error_analysis.pipeline import (
    create_training_report_pipeline,
)


def register_pipelines() -> dict[str, Pipeline]:
    """Every pipeline under ``pipelines/`` by folder name; ``__default__`` runs all.

    ``training_report`` (the training-curve plot) stays out of the default until
    fine_tune writes the ``training_curve`` entry it reads.
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(pipelines.values())
    pipelines["training_report"] = create_training_report_pipeline()
    return pipelines
