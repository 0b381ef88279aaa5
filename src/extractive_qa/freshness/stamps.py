"""One stamp: what a node's outputs were made from, the node's code version,
and the sidecar file beside each artifact that holds it."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kedro.pipeline.node import Node

import extractive_qa
from extractive_qa.freshness.params import canonical_numbers

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
            self.digest = _digest(self.content())

    def content(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the digest is of, with ``params`` in place of the recorded
        ones when given; whole floats as ints."""
        return {
            "node": self.node,
            "code": self.code,
            "params": canonical_numbers(self.params if params is None else params),
            "inputs": self.inputs,
            "allow_stale": self.allow_stale,
        }

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


def _content_hash(fs: Any, path: str, info: dict[str, Any]) -> str:
    """The object store's hash of one file (with its size), or a hash of its
    bytes where the store keeps none (a local disk)."""
    remote_hash = info.get("ETag") or info.get("md5Hash") or info.get("content_md5")
    if remote_hash:
        return _digest([info.get("size"), str(remote_hash)])
    digest = hashlib.sha256()
    with fs.open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def _file_fingerprint(fs: Any, path: str) -> str | None:
    """Content fingerprint of a file or folder (each file in it, by name and
    content); None when it is not there."""
    if not fs.exists(path):
        return None
    if fs.isdir(path):
        listing = fs.find(path, detail=True)
        return _digest(
            sorted(
                (name[len(path) :], _content_hash(fs, name, info))
                for name, info in listing.items()
            )
        )
    return _content_hash(fs, path, fs.info(path))


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
