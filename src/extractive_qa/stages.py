"""The machine stages of the default run, in the order they run: CPU work
before training, the GPU work, CPU work after it. Each node carries exactly one
of them as a tag, and each is a registered pipeline (``--pipelines=train``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

STAGES = ("prepare", "train", "report")


def node_stages(registered: Mapping[str, Any]) -> dict[str, str]:
    """Each default node's machine stage: its stage tag, where that stage is a
    registered pipeline."""
    default = registered.get("__default__")
    if default is None:
        return {}
    stages = {}
    for node in default.nodes:
        stage = next((tag for tag in STAGES if tag in node.tags), None)
        if stage is not None and stage in registered:
            stages[node.name] = stage
    return stages


def stages_from(stages: Mapping[str, str], nodes: Iterable[str]) -> list[str]:
    """The stages to run again, in order, from the earliest that runs one of
    ``nodes``; empty when none of them has a stage."""
    found = [stages[name] for name in nodes if name in stages]
    if not found:
        return []
    first = min(STAGES.index(stage) for stage in found)
    known = set(stages.values())
    return [stage for stage in STAGES[first:] if stage in known]
