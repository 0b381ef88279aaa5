"""Project pipelines: one per stage group, and all of them as the default."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

from extractive_qa.pipelines.error_analysis.pipeline import (
    create_training_report_pipeline,
)

# Run on demand only: `kedro run --pipelines=answer` on an already trained
# model, `--pipelines=bench` (make bench) for the side-by-side benchmark.
NOT_IN_DEFAULT = ("answer", "bench")


def register_pipelines() -> dict[str, Pipeline]:
    """Every pipeline under ``pipelines/`` by folder name; ``__default__`` runs all
    but those in ``NOT_IN_DEFAULT``.

    ``training_report`` plots the ``training_curve`` that fine_tune writes.
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["training_report"] = create_training_report_pipeline()
    pipelines["__default__"] = sum(
        (p for name, p in pipelines.items() if name not in NOT_IN_DEFAULT),
        start=Pipeline([]),
    )
    return pipelines
