"""Name the file behind a raw source in the errors about it."""

from __future__ import annotations

from typing import Any

from kedro.framework.hooks import hook_impl

from extractive_qa.datasets.squad_json import MalformedSourceError
from extractive_qa.records.shapes import SourceRecordsError, container_problem


def _where(dataset: Any) -> str:
    """The file, folder or hub name behind a catalog dataset, for messages."""
    described = dataset._describe() if hasattr(dataset, "_describe") else {}
    for key in ("filepath", "path", "dataset_name"):
        if described.get(key):
            return str(described[key])
    return type(dataset).__name__


class RawSourceCheck:
    """Name the file behind a raw source in the errors about it: the shape of
    what the ``load`` node reads is checked as soon as it is loaded, and record
    errors from ``load`` are raised again with the file (the node itself only
    knows catalog names)."""

    def __init__(self) -> None:
        self._catalog: Any = None

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        self._catalog = catalog

    def _location(self, dataset_name: str) -> str:
        if self._catalog is not None and dataset_name in self._catalog:
            return _where(self._catalog[dataset_name])
        return "unknown location"

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Any) -> None:
        if node.name != "load" or dataset_name.startswith("params:"):
            return
        problem = container_problem(data)
        if problem is not None:
            where = self._location(dataset_name)
            raise MalformedSourceError(f"{dataset_name} ({where}): {problem}")

    @hook_impl
    def on_node_error(self, error: Exception, node: Any) -> None:
        if node.name == "load" and isinstance(error, SourceRecordsError):
            raise error.at(self._location(error.source)) from None
