"""On ranks other than 0 the catalog loads but does not save."""

from __future__ import annotations

import json
from pathlib import Path

from kedro.io import DataCatalog
from kedro.pipeline import Pipeline, node

from extractive_qa.distributed import MainProcessSaves


def catalog_at(tmp_path: Path) -> DataCatalog:
    """A plain entry, one made by a dataset factory, and an in-memory one."""
    return DataCatalog.from_config(
        {
            "metrics": {
                "type": "json.JSONDataset",
                "filepath": str(tmp_path / "metrics.json"),
            },
            "{split}_report": {
                "type": "json.JSONDataset",
                "filepath": str(tmp_path / "{split}_report.json"),
            },
            "in_memory": {"type": "MemoryDataset"},
        }
    )


def identity(data):
    return data


RUN = Pipeline(
    [
        node(identity, "metrics", "in_memory", name="read"),
        node(identity, "in_memory", "validation_report", name="write"),
    ]
)


def started(catalog: DataCatalog) -> DataCatalog:
    hooks = MainProcessSaves()
    hooks.after_catalog_created()
    hooks.before_pipeline_run(pipeline=RUN, catalog=catalog)
    return catalog


def test_rank_one_loads_but_does_not_save(tmp_path, monkeypatch):
    (tmp_path / "metrics.json").write_text(json.dumps({"f1": 1.0}))
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    catalog = started(catalog_at(tmp_path))
    assert catalog.load("metrics") == {"f1": 1.0}
    catalog.save("metrics", {"f1": 2.0})
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"f1": 1.0}
    catalog.save("validation_report", {"f1": 2.0})
    assert not (tmp_path / "validation_report.json").exists()
    # In-memory hand-overs between nodes still work on every rank.
    catalog.save("in_memory", 3)
    assert catalog.load("in_memory") == 3


def test_rank_zero_and_single_process_runs_save(tmp_path, monkeypatch):
    for rank in ("0", None):
        if rank is None:
            monkeypatch.delenv("RANK", raising=False)
        else:
            monkeypatch.setenv("RANK", rank)
        catalog = started(catalog_at(tmp_path))
        catalog.save("metrics", {"rank": rank})
        assert json.loads((tmp_path / "metrics.json").read_text()) == {"rank": rank}
        catalog.save("validation_report", {"rank": rank})
        written = json.loads((tmp_path / "validation_report.json").read_text())
        assert written == {"rank": rank}
