"""Stamps on persisted artifacts, and whether each is what the current
configuration would produce.

Every artifact a node saves gets a stamp in a sidecar file beside it,
``.<name>.stamp.json``, written through the artifact's own filesystem (so it
travels with it on any fsspec storage). A stamp records:

- the node that made it and the node's code version (package version and a
  hash of the node's module, and of the module its work is done in when the
  node names one with ``code_in``);
- the parameters the node read;
- the digest of each input: the stamp digest of a persisted input, a content
  fingerprint of a raw source (file bytes, or the object store's ETag).

The stamp's digest is a hash of those. An artifact is **fresh** when its
recorded digest equals the digest the current configuration gives for it,
worked out from the raw sources and parameters down the pipeline; **stale**
otherwise (with the first setting that differs, old and new value); **missing**
when it was never saved. A source that is not on this machine (the report
machine has no raw files) counts as it was recorded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline
from kedro.pipeline.node import Node

import extractive_qa
from extractive_qa.qa.fingerprint import StaleArtifactError

logger = logging.getLogger(__name__)

STAMP_VERSION = 1
UNSTAMPED = "unstamped"


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Stamp:
    """What one node's outputs were made from."""

    node: str
    code: str
    params: dict[str, Any]
    inputs: dict[str, str]
    allow_stale: bool = False
    version: int = STAMP_VERSION
    digest: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.digest:
            self.digest = _digest(
                {
                    "node": self.node,
                    "code": self.code,
                    "params": self.params,
                    "inputs": self.inputs,
                    "allow_stale": self.allow_stale,
                }
            )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Stamp:
        return cls(**json.loads(text))


_Func = TypeVar("_Func", bound=Callable[..., Any])
# The attribute code_in sets on a node function.
CODE_MODULE = "__code_module__"


def code_in(module: str) -> Callable[[_Func], _Func]:
    """Mark a node function whose work is done in ``module``, imported only
    when it runs: its code version hashes that module's source too, so editing
    it makes what the node made stale."""

    def mark(func: _Func) -> _Func:
        setattr(func, CODE_MODULE, module)
        return func

    return mark


def _module_source(name: str) -> str | None:
    """The source of module ``name``, read from its file when it is not
    imported yet (the heavy modules a node imports only when it runs)."""
    module = sys.modules.get(name)
    try:
        if module is not None:
            return inspect.getsource(module)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            return Path(spec.origin).read_text(encoding="utf-8")
    except (OSError, TypeError, ImportError, ValueError):
        pass
    return None


def code_version(node: Node) -> str:
    """Package version and a hash of the module that defines the node's function
    (and of the module it names with ``code_in``)."""
    names = [getattr(node.func, "__module__", ""), getattr(node.func, CODE_MODULE, "")]
    sources = [source for name in names if name and (source := _module_source(name))]
    # Joined, so that a node without code_in keeps the version it had before.
    digested = "\n".join(sources) if sources else node.name
    return f"{extractive_qa.__version__}:{_digest(digested)[:8]}"


def artifact_location(dataset: Any) -> tuple[Any, str] | None:
    """The filesystem and path (without protocol) of a file-backed dataset."""
    fs = getattr(dataset, "_fs", None)
    path = getattr(dataset, "_path", None) or getattr(dataset, "_filepath", None)
    if fs is None or not path:
        return None
    return fs, str(path).rstrip("/")


def stamp_path(path: str) -> str:
    """The sidecar of the artifact at ``path``."""
    parent, _, name = path.rpartition("/")
    return f"{parent}/.{name}.stamp.json" if parent else f".{name}.stamp.json"


def read_stamp(dataset: Any) -> Stamp | None:
    """The stamp saved beside a dataset's artifact, or None."""
    location = artifact_location(dataset)
    if location is None:
        return None
    fs, path = location
    sidecar = stamp_path(path)
    try:
        with fs.open(sidecar, "r", encoding="utf-8") as file:
            return Stamp.from_json(file.read())
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        logger.warning("%s is not a readable stamp; treating it as absent", sidecar)
        return None


def write_stamp(dataset: Any, stamp: Stamp) -> None:
    location = artifact_location(dataset)
    if location is None:
        return
    fs, path = location
    with fs.open(stamp_path(path), "w", encoding="utf-8") as file:
        file.write(stamp.to_json())


def remove_stamp(dataset: Any) -> None:
    """Remove the stamp before an artifact is replaced: a save cut short then
    leaves an artifact without a stamp, which never counts as fresh."""
    location = artifact_location(dataset)
    if location is None:
        return
    fs, path = location
    sidecar = stamp_path(path)
    if fs.exists(sidecar):
        fs.rm(sidecar)


def _file_fingerprint(fs: Any, path: str) -> str | None:
    """Content fingerprint of a file or folder; None when it is not there."""
    if not fs.exists(path):
        return None
    if fs.isdir(path):
        listing = fs.find(path, detail=True)
        return _digest(
            sorted(
                (name[len(path) :], info.get("size"), str(info.get("ETag") or ""))
                for name, info in listing.items()
            )
        )
    info = fs.info(path)
    remote_hash = info.get("ETag") or info.get("md5Hash") or info.get("content_md5")
    if remote_hash:
        return _digest([info.get("size"), str(remote_hash)])
    digest = hashlib.sha256()
    with fs.open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def source_fingerprint(dataset: Any) -> str | None:
    """A raw source's fingerprint: for files, their type and content (not
    where they are, nor how the entry that wrote them was configured); for
    other sources, their catalog description. None when a file is not on
    this machine."""
    location = artifact_location(dataset)
    if location is None:
        return f"source:{_digest(str(dataset))}"
    content = _file_fingerprint(*location)
    if content is None:
        return None
    return f"source:{_digest([type(dataset).__name__, content])}"


def is_workspace(dataset: Any) -> bool:
    """Datasets that are a working area (checkpoints), not an input whose
    content decides the output."""
    return bool(getattr(dataset, "WORKSPACE", False))


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def changed_settings(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``setting: old -> new`` for each parameter that differs."""
    before = _flatten({k.removeprefix("params:"): v for k, v in old.items()}, "")
    after = _flatten({k.removeprefix("params:"): v for k, v in new.items()}, "")
    return [
        f"{key}: {before.get(key, '(unset)')!r} -> {after.get(key, '(unset)')!r}"
        for key in sorted(before.keys() | after.keys())
        if before.get(key, "(unset)") != after.get(key, "(unset)")
    ]


@dataclass(frozen=True)
class EntryState:
    """One persisted entry against the current configuration."""

    name: str
    state: str  # fresh, stale, missing, unchecked
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

    def dataset(self, name: str) -> Any:
        return self._catalog.get(name) if name in self._catalog else None

    def params(self, node: Node) -> dict[str, Any]:
        return {
            name: self._catalog.load(name)
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
        """Drop what is cached about ``name`` (after it was saved again)."""
        self._recorded.pop(name, None)

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
                inputs[name] = self.expected(self.producers[name]).digest
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
        """Fresh, stale (with why and where to rebuild from) or missing."""
        node = self.producers.get(name)
        dataset = self.dataset(name)
        if node is None or dataset is None or artifact_location(dataset) is None:
            return EntryState(name, "unchecked", "not a persisted output of a node")
        if not dataset.exists():
            return EntryState(name, "missing", "", node.name)
        recorded = self.recorded(name)
        if recorded is None:
            return EntryState(
                name,
                "stale",
                "has no stamp (saved before stamps existed, outside Kedro, or "
                "by a save that was cut short)",
                node.name,
            )
        if recorded.digest == self.expected(node).digest:
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
            if recorded is None or recorded.digest != expected.digest:
                return self._rebuild_start(input_name)
        return node.name

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
            return "", (input_name, upstream)
        return "made from other inputs", None

    def entries(self, pipeline: Pipeline) -> list[EntryState]:
        """The state of every persisted output of ``pipeline``, in run order."""
        names = [output for node in pipeline.nodes for output in node.outputs]
        return [self.state(name) for name in names]


def stale_message(node: Node, stale: list[EntryState]) -> str:
    """Why ``node`` will not run on ``stale`` inputs, and what to do."""
    lines = [f"{entry.name} is stale: {entry.why}." for entry in stale]
    starts = sorted({entry.rebuild_from for entry in stale if entry.rebuild_from})
    them = "it" if len(stale) == 1 else "them"
    return (
        "\n".join(lines)
        + f"\n{node.name} would read {them}, so it did not run and nothing was "
        f"written. Rebuild {them} (with this run's --env and --params):\n"
        f"    kedro run --from-nodes={','.join(starts)}\n"
        f"or add --params=allow_stale=true to use {them} anyway (logged, and "
        "recorded in the stamps of what this run writes). `kedro status` lists "
        "every entry."
    )


class StampHooks:
    """Check a node's persisted inputs against the current configuration
    before it runs, and stamp what it saves."""

    def __init__(self, pipelines: Any = None) -> None:
        self._pipelines = pipelines
        self._provenance: Provenance | None = None
        self._allow_stale = False
        self._stamps: dict[str, Stamp] = {}
        self._produced: dict[str, str] = {}

    def _registered(self) -> Iterable[Pipeline]:
        if self._pipelines is not None:
            return self._pipelines.values()
        from kedro.framework.project import pipelines

        return pipelines.values()

    @hook_impl
    def before_pipeline_run(self, pipeline: Pipeline, catalog: Any) -> None:
        parameters = catalog.load("parameters") if "parameters" in catalog else {}
        self._allow_stale = bool(parameters.get("allow_stale"))
        self._provenance = Provenance(catalog, [pipeline, *self._registered()])
        self._stamps, self._produced = {}, {}

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
            raise StaleArtifactError(stale_message(node, stale))
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


def nodes_to_run(pipeline: Pipeline, provenance: Provenance) -> tuple[list[Node], dict]:
    """The nodes of ``pipeline`` whose persisted outputs are missing or stale;
    the producers of in-memory inputs they read; and nodes that persist
    nothing (e.g. push_to_hub) when an input of theirs is made again. Also
    each output's state."""
    states = {
        output: provenance.state(output)
        for node in pipeline.nodes
        for output in node.outputs
    }
    needed = {
        node.name
        for node in pipeline.nodes
        if any(states[o].state in ("missing", "stale") for o in node.outputs)
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
