"""The stamp the current configuration gives each persisted entry, against
the one recorded beside it: fresh, stale (why, and where to rebuild from),
missing or unverified (a raw source not on this machine); and the nodes a run
must do again."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kedro.pipeline import Pipeline
from kedro.pipeline.node import Node

from extractive_qa.freshness.params import changed_settings, result_settings
from extractive_qa.freshness.stamps import (
    Stamp,
    artifact_location,
    code_version,
    is_workspace,
    read_stamp,
    source_fingerprint,
)


def _made_from(stamp: Stamp) -> str:
    """The stamp's content with only the settings that count now."""
    counted = {
        name: result_settings(name, value) for name, value in stamp.params.items()
    }
    return json.dumps(stamp.content(counted), sort_keys=True, default=str)


def made_alike(recorded: Stamp, expected: Stamp) -> bool:
    """Whether ``recorded`` says what ``expected`` says: the same digest, or,
    for stamps written by earlier versions (whole floats digested as floats,
    settings recorded that no longer count), the same node, code, settings
    that count (``1`` is ``1.0``), inputs and allow_stale."""
    return recorded.digest == expected.digest or _made_from(recorded) == _made_from(
        expected
    )


@dataclass(frozen=True)
class EntryState:
    """One persisted entry against the current configuration."""

    name: str
    state: str  # fresh, stale, missing, unverified, unchecked
    why: str = ""
    rebuild_from: str | None = None


class Provenance:
    """Expected stamps of every produced dataset, from the current catalog and
    parameters, and the recorded ones, for checks, status and skipping."""

    def __init__(self, catalog: Any, pipelines: Iterable[Pipeline]) -> None:
        self._catalog = catalog
        self.producers: dict[str, Node] = {}
        for pipeline in pipelines:
            for node in pipeline.nodes:
                for output in node.outputs:
                    self.producers.setdefault(output, node)
        self._expected: dict[str, Stamp] = {}
        self._sources: dict[str, str | None] = {}
        self._recorded: dict[str, Stamp | None] = {}
        self._states: dict[str, EntryState] = {}

    def dataset(self, name: str) -> Any:
        return self._catalog.get(name) if name in self._catalog else None

    def params(self, node: Node) -> dict[str, Any]:
        return {
            name: result_settings(name, self._catalog.load(name))
            for name in node.inputs
            if name.startswith("params:") or name == "parameters"
        }

    def source(self, name: str) -> str | None:
        if name not in self._sources:
            dataset = self.dataset(name)
            self._sources[name] = (
                source_fingerprint(dataset) if dataset is not None else None
            )
        return self._sources[name]

    def recorded(self, name: str) -> Stamp | None:
        if name not in self._recorded:
            dataset = self.dataset(name)
            self._recorded[name] = read_stamp(dataset) if dataset is not None else None
        return self._recorded[name]

    def forget(self, name: str) -> None:
        """Drop what is cached about ``name`` (after it was saved again), and
        every state, which may follow from it."""
        self._recorded.pop(name, None)
        self._states.clear()

    def absent_sources(self, node: Node) -> list[str]:
        """The raw sources ``node`` reads that are not on this machine, each
        with where it was looked for: taken as they were recorded."""
        absent = []
        for name in self.data_inputs(node):
            if name in self.producers or self.source(name) is not None:
                continue
            location = artifact_location(self.dataset(name))
            absent.append(f"{name} ({location[1]})" if location else name)
        return absent

    def data_inputs(self, node: Node) -> list[str]:
        """The node's inputs that decide its outputs: not parameters, not
        working areas."""
        return [
            name
            for name in node.inputs
            if not (name.startswith("params:") or name == "parameters")
            and not is_workspace(self.dataset(name))
        ]

    def expected(self, node: Node) -> Stamp:
        """The stamp the current configuration gives the node's outputs."""
        if node.name in self._expected:
            return self._expected[node.name]
        inputs: dict[str, str] = {}
        for name in self.data_inputs(node):
            if name in self.producers:
                # A fresh input by its recorded digest: one stamped before
                # 1 and 1.0 digested alike is still the same input.
                upstream = self.expected(self.producers[name])
                recorded = self.recorded(name)
                alike = recorded is not None and made_alike(recorded, upstream)
                inputs[name] = recorded.digest if alike else upstream.digest
                continue
            fingerprint = self.source(name)
            if fingerprint is None:
                # Not on this machine: take it as recorded by an output.
                recorded = next(
                    (
                        stamp.inputs.get(name)
                        for stamp in map(self.recorded, node.outputs)
                        if stamp is not None
                    ),
                    None,
                )
                fingerprint = recorded or f"absent:{name}"
            inputs[name] = fingerprint
        stamp = Stamp(node.name, code_version(node), self.params(node), inputs)
        self._expected[node.name] = stamp
        return stamp

    def state(self, name: str) -> EntryState:
        """Fresh, stale (with why and where to rebuild from), missing or
        unverified; worked out once until something is saved again."""
        if name not in self._states:
            self._states[name] = self._state(name)
        return self._states[name]

    def _state(self, name: str) -> EntryState:
        node = self.producers.get(name)
        dataset = self.dataset(name)
        if node is None or dataset is None or artifact_location(dataset) is None:
            return EntryState(name, "unchecked", "not a persisted output of a node")
        if not dataset.exists():
            # Something there that does not read as this entry, if anything.
            reason = getattr(dataset, "absence_reason", None)
            why = reason() if callable(reason) else ""
            return EntryState(name, "missing", why, node.name)
        recorded = self.recorded(name)
        if recorded is None:
            return EntryState(
                name,
                "stale",
                "has no stamp (saved before stamps existed, outside Kedro, or "
                "by a save that was cut short)",
                node.name,
            )
        if made_alike(recorded, self.expected(node)):
            absent = self.absent_sources(node)
            if absent:
                return EntryState(
                    name,
                    "unverified",
                    f"made from {', '.join(absent)}, which is not on this machine; "
                    "taken as unchanged",
                    node.name,
                )
            return EntryState(name, "fresh")
        why, rebuild_from = self.why_stale(name, recorded)
        return EntryState(name, "stale", why, rebuild_from)

    def why_stale(self, name: str, recorded: Stamp) -> tuple[str, str]:
        """The first difference between how ``name`` was made and how it would
        be made now, and the node to rebuild from."""
        return self._first_difference(name, recorded), self._rebuild_start(name)

    def _rebuild_start(self, name: str) -> str:
        """The node a rebuild of ``name`` starts from: its producer, or, where
        one of that node's persisted inputs is stale too, where that input's
        rebuild starts (a node's own setting may have changed together with
        an earlier node's)."""
        node = self.producers[name]
        for input_name in node.inputs:
            if input_name not in self.producers:
                continue
            recorded = self.recorded(input_name)
            expected = self.expected(self.producers[input_name])
            if recorded is None or not made_alike(recorded, expected):
                return self._rebuild_start(input_name)
        return node.name

    def rebuild_starts(
        self, pipeline: Pipeline, nodes: Iterable[str], to: str | None = None
    ) -> list[str]:
        """Where a ``kedro run --from-nodes=...`` of ``pipeline`` (up to node
        ``to``, when given) must start so that it remakes what ``nodes`` make
        and reads nothing stale, missing or in memory that it does not make
        itself: each such input's maker joins the starts, until none is left.
        Starts that run after another start are left out."""
        names = {node.name for node in pipeline.nodes}
        starts = {name for name in nodes if name in names}
        if not starts:
            return sorted(set(nodes))  # not in that pipeline: as they are
        for _ in range(len(names)):
            ran = pipeline.filter(
                from_nodes=sorted(starts), to_nodes=[to] if to else None
            )
            inside = {node.name for node in ran.nodes}
            wanted = {
                producer.name
                for node in ran.nodes
                for name in node.inputs
                if (producer := self.producers.get(name)) is not None
                and producer.name in names
                and producer.name not in inside
                and self.state(name).state in ("stale", "missing", "unchecked")
            }
            if not wanted:
                break
            starts |= wanted
        after = {
            start: {node.name for node in pipeline.from_nodes(start).nodes} - {start}
            for start in starts
        }
        return sorted(
            start
            for start in starts
            if not any(start in after[other] for other in starts - {start})
        )

    def _first_difference(self, name: str, recorded: Stamp) -> str:
        chain: list[str] = []
        for _ in range(len(self.producers) + 1):
            reason, upstream = self._own_difference(name, recorded)
            if upstream is None:
                break
            chain.append(upstream[0])
            name, recorded = upstream
        if chain:
            made_from = ", from ".join(chain)
            reason = f"made from {made_from}, which was {reason}"
        return reason

    def _own_difference(
        self, name: str, recorded: Stamp
    ) -> tuple[str, tuple[str, Stamp] | None]:
        """Why ``name`` differs: its own node's settings or code, or an input
        (returned, with its stamp, to look further up)."""
        node = self.producers[name]
        expected = self.expected(node)
        changes = changed_settings(recorded.params, expected.params)
        if changes:
            return f"made with {'; '.join(changes)}", None
        if recorded.code != expected.code:
            return (
                f"made by {node.name} code {recorded.code}, now {expected.code}",
                None,
            )
        if recorded.allow_stale:
            return "made from stale inputs (allow_stale was set)", None
        for input_name, digest in expected.inputs.items():
            if recorded.inputs.get(input_name) == digest:
                continue
            if input_name not in self.producers:
                return f"made from {input_name} before it changed", None
            upstream = self.recorded(input_name)
            if upstream is None:
                return f"made from {input_name}, which has no stamp", None
            if upstream.digest == digest:
                return f"made from an earlier {input_name} (since rebuilt)", None
            if upstream.digest != recorded.inputs.get(input_name):
                # The input was made again since, with what is stale now: how
                # it differs tells nothing about the one this entry read.
                return (
                    f"made from an earlier {input_name} (since rebuilt, and stale too)",
                    None,
                )
            return "", (input_name, upstream)
        return "made from other inputs", None

    def entries(self, pipeline: Pipeline) -> list[EntryState]:
        """The state of every persisted output of ``pipeline``, in run order."""
        names = [output for node in pipeline.nodes for output in node.outputs]
        return [self.state(name) for name in names]


class MissingInputError(ValueError):
    """A node's persisted input was never made on this storage."""


def run_command(starts: list[str], to: str | None = None) -> str:
    """``kedro run`` from ``starts`` (up to ``to``): only the nodes needed."""
    if to is not None and starts == [to]:
        return f"kedro run --nodes={to}"
    command = f"kedro run --from-nodes={','.join(starts)}"
    return command + (f" --to-nodes={to}" if to is not None else "")


def missing_message(
    node: Node, missing: EntryState, where: str, make: str, stage: str | None = None
) -> str:
    """Why ``node`` will not run without ``missing``, and what to run first:
    ``make``, the command that makes it or, where the stages run on separate
    machines, the ``stage`` that makes it, on its machine."""
    if stage:
        make = f" on the {stage} machine:\n    kedro run --pipelines={stage}\n"
    else:
        make = f":\n    {make}\n"
    return (
        f"{missing.name} has not been made on this storage ({where}).\n"
        f"{node.name} would read it, so it did not run. "
        f"Make it first (with this run's --env and --params){make}"
        "or point --params=storage=... at the storage that holds it. "
        "`kedro status` lists every entry."
    )


def stale_message(
    node: Node, stale: list[EntryState], starts: list[str], stages: list[str]
) -> str:
    """Why ``node`` will not run on ``stale`` inputs, and what to do: rebuild
    from ``starts`` or, where the stages run on separate machines, run
    ``stages`` in turn."""
    lines = [f"{entry.name} is stale: {entry.why}." for entry in stale]
    them = "it" if len(stale) == 1 else "them"
    if stages:
        rebuild = (
            "; the stages run on separate machines, so run each stage from the "
            "one that makes it, each on its own machine:\n"
            + "".join(f"    kedro run --pipelines={stage}\n" for stage in stages)
        )
    else:
        rebuild = f":\n    {run_command(starts)}\n"
    return (
        "\n".join(lines)
        + f"\n{node.name} would read {them}, so it did not run and nothing was "
        f"written. Rebuild {them} (with this run's --env and --params){rebuild}"
        f"or add --params=allow_stale=true to use {them} anyway (logged, and "
        "recorded in the stamps of what this run writes). `kedro status` lists "
        "every entry."
    )


def nodes_to_run(pipeline: Pipeline, provenance: Provenance) -> tuple[list[Node], dict]:
    """The nodes of ``pipeline`` whose persisted outputs are missing, stale or
    unverified; the producers of in-memory inputs they read; and nodes that
    persist nothing (e.g. push_to_hub) when an input of theirs is made again.
    Also each output's state."""
    states = {
        output: provenance.state(output)
        for node in pipeline.nodes
        for output in node.outputs
    }
    # An unverified output is run for again: its node reads the raw source
    # (or, for synthetic data, writes it) or says where it is missing.
    needed = {
        node.name
        for node in pipeline.nodes
        if any(
            states[o].state in ("missing", "stale", "unverified") for o in node.outputs
        )
    }
    by_output = {o: node for node in pipeline.nodes for o in node.outputs}
    persists_nothing = {
        node.name
        for node in pipeline.nodes
        if all(states[o].state == "unchecked" for o in node.outputs)
    }
    for _ in range(len(pipeline.nodes)):
        before = len(needed)
        for node in pipeline.nodes:
            producers = [by_output[i] for i in node.inputs if i in by_output]
            if node.name in needed:
                needed.update(p.name for p in producers if p.name in persists_nothing)
            elif node.name in persists_nothing and any(
                p.name in needed for p in producers
            ):
                needed.add(node.name)
        if len(needed) == before:
            break
    return [node for node in pipeline.nodes if node.name in needed], states
