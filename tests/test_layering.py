"""The layering rule, read from the source: the library never imports
``pipelines/``, a pipeline folder is ``nodes.py`` + ``pipeline.py`` and imports
no other pipeline, only ``pipeline_registry.py`` imports pipelines, and no two
parts of the package import each other."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "extractive_qa"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The project modules ``path`` imports (``from a import b`` counts a and a.b)."""
    names = set()
    for statement in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(statement, ast.ImportFrom) and statement.module:
            names.add(statement.module)
            names.update(f"{statement.module}.{a.name}" for a in statement.names)
        elif isinstance(statement, ast.Import):
            names.update(alias.name for alias in statement.names)
    return {name for name in names if name.split(".")[0] == "extractive_qa"}


def part(module: str) -> str | None:
    """The part of the package a module belongs to: its top folder or module,
    and each pipeline on its own (``pipelines.training``)."""
    parts = module.split(".")
    if len(parts) < 2 or not (
        (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").exists()
    ):
        return None
    if parts[1] == "pipelines" and len(parts) > 2:
        return f"pipelines.{parts[2]}"
    return parts[1]


SOURCES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def test_only_the_registry_and_pipelines_import_pipelines() -> None:
    offending = {
        module: sorted(
            n for n in imported(path) if n.startswith("extractive_qa.pipelines")
        )
        for module, path in SOURCES.items()
        if not module.startswith("extractive_qa.pipelines")
        and module != "extractive_qa.pipeline_registry"
    }
    assert {m: names for m, names in offending.items() if names} == {}


def test_a_pipeline_folder_holds_nodes_and_wiring_and_imports_no_other() -> None:
    for folder in (PACKAGE / "pipelines").iterdir():
        if not folder.is_dir() or folder.name == "__pycache__":
            continue
        files = {path.name for path in folder.glob("*.py")}
        assert files <= {"__init__.py", "nodes.py", "pipeline.py"}, folder
        own = f"pipelines.{folder.name}"
        for path in folder.glob("*.py"):
            others = {part(n) for n in imported(path)} - {own, None}
            assert not {p for p in others if p.startswith("pipelines.")}, path


def test_no_two_parts_of_the_package_import_each_other() -> None:
    uses: dict[str, set[str]] = defaultdict(set)
    for module, path in SOURCES.items():
        here = part(module)
        if here is None:
            # The package's own __init__ belongs to no part.
            continue
        uses[here].update(p for p in map(part, imported(path)) if p not in (here, None))
    assert uses["qa"] and uses["pipelines.training"], "the import graph was read"
    mutual = sorted(
        (a, b) for a in uses for b in uses[a] if a < b and a in uses.get(b, set())
    )
    assert mutual == []
