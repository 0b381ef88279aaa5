"""Project pipelines: one per stage group, and all of them as the default."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

from extractive_qa.pipelines.error_analysis.pipeline import (
    create_training_report_pipeline,
)


def register_pipelines() -> dict[str, Pipeline]:
    """Every pipeline under ``pipelines/`` by folder name; ``__default__`` runs all.

    ``training_report`` plots the ``training_curve`` that fine_tune writes.
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["training_report"] = create_training_report_pipeline()
    pipelines["__default__"] = sum(pipelines.values())
    return pipelines
