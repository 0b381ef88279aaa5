"""notebooks/walkthrough.ipynb runs headless, top to bottom, on the reduced
project, reading every artifact through the Kedro catalog."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "walkthrough.ipynb"


def text_of(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if "outputs" in cell)
    sources = "\n".join(cell.source for cell in notebook.cells)
    assert "%load_ext kedro.ipython" in sources
    assert "data/" not in sources, "artifacts are read through the catalog only"


def test_notebook_runs_on_the_reduced_project(
    reduced_project: Path, subprocess_env: dict, monkeypatch: pytest.MonkeyPatch
):
    for name, value in {**subprocess_env, "KEDRO_ENV": "reduced"}.items():
        monkeypatch.setenv(name, value)
    notebook = nbformat.read(reduced_project / "notebooks" / NOTEBOOK.name, 4)
    NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(reduced_project / "notebooks")}},
    ).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = "\n".join(text_of(cell) for cell in code)
    metrics = json.loads(
        (reduced_project / "data/08_reporting/metrics.json").read_text()
    )
    assert "validation_predictions" in outputs
    assert "windows" in outputs and "context chars" in outputs
    assert "exact_match" in outputs and str(metrics["n_examples"]) in outputs
    assert "predicted" in outputs
    # The error analysis the run wrote, tables and the plot image.
    assert (reduced_project / "data/08_reporting/error_breakdown.png").exists()
    assert "error_breakdown" in outputs and "worst_questions" in outputs
    images = [
        output for output in code[-1].outputs if "image/png" in output.get("data", {})
    ]
    assert images, "the error-analysis plot was not displayed"
