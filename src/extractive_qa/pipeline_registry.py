"""Project pipelines: one per stage group, the three machine stages, and all of
them as the default."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from extractive_qa.pipelines import (
    answer,
    bench,
    data_loading,
    error_analysis,
    evaluation,
    features,
    inference,
    sharing,
    training,
)
from extractive_qa.stages import STAGES

# Run on demand only: `kedro run --pipelines=answer` on an already trained
# model, `--pipelines=bench` (make bench) for the side-by-side benchmark.
NOT_IN_DEFAULT = ("answer", "bench")


def stage_pipelines(default: Pipeline) -> dict[str, Pipeline]:
    """``default`` split by stage tag; every node must carry exactly one, and no
    stage may read what a later stage writes."""
    misplaced = sorted(n.name for n in default.nodes if len(n.tags & set(STAGES)) != 1)
    if misplaced:
        raise ValueError(
            f"Nodes {misplaced} carry no stage tag or several; tag each node of the "
            f"default pipeline with exactly one of {list(STAGES)} in its pipeline.py."
        )
    stages = {stage: default.only_nodes_with_tags(stage) for stage in STAGES}
    for position, stage in enumerate(STAGES):
        later = set().union(*(stages[s].all_outputs() for s in STAGES[position + 1 :]))
        early_reads = sorted(stages[stage].inputs() & later)
        if early_reads:
            raise ValueError(
                f"Stage '{stage}' reads {early_reads}, which a later stage writes; "
                "move the node that reads them to a later stage."
            )
    return stages


def register_pipelines() -> dict[str, Pipeline]:
    """Every pipeline folder by name; ``__default__`` runs all but those in
    ``NOT_IN_DEFAULT``; ``prepare``, ``train`` and ``report`` are its three
    machine stages; ``training_report`` plots the ``training_curve`` that
    fine_tune writes.

    The folders are listed here rather than found: Kedro's ``find_pipelines``
    imports only the folder named by ``--pipelines``, and the stages are cut
    from all of them.
    """
    pipelines = {
        "data_loading": data_loading.pipeline.create_pipeline(),
        "features": features.pipeline.create_pipeline(),
        "training": training.pipeline.create_pipeline(),
        "inference": inference.pipeline.create_pipeline(),
        "evaluation": evaluation.pipeline.create_pipeline(),
        "error_analysis": error_analysis.pipeline.create_pipeline(),
        "training_report": error_analysis.pipeline.create_training_report_pipeline(),
        "sharing": sharing.pipeline.create_pipeline(),
        "answer": answer.pipeline.create_pipeline(),
        "bench": bench.pipeline.create_pipeline(),
    }
    pipelines["__default__"] = sum(
        (p for name, p in pipelines.items() if name not in NOT_IN_DEFAULT),
        start=Pipeline([]),
    )
    pipelines.update(stage_pipelines(pipelines["__default__"]))
    return pipelines
