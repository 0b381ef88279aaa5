"""On ranks other than 0 the catalog loads but does not save."""

from __future__ import annotations

import json
from pathlib import Path

from kedro.io import DataCatalog, MemoryDataset
from kedro_datasets.json import JSONDataset

from extractive_qa.distributed import MainProcessSaves


def catalog_at(tmp_path: Path) -> DataCatalog:
    return DataCatalog(
        datasets={
            "metrics": JSONDataset(filepath=str(tmp_path / "metrics.json")),
            "in_memory": MemoryDataset(),
        }
    )


def test_rank_one_loads_but_does_not_save(tmp_path, monkeypatch):
    (tmp_path / "metrics.json").write_text(json.dumps({"f1": 1.0}))
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    catalog = catalog_at(tmp_path)
    MainProcessSaves().after_catalog_created(catalog)
    assert catalog.load("metrics") == {"f1": 1.0}
    catalog.save("metrics", {"f1": 2.0})
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"f1": 1.0}
    # In-memory hand-overs between nodes still work on every rank.
    catalog.save("in_memory", 3)
    assert catalog.load("in_memory") == 3


def test_rank_zero_and_single_process_runs_save(tmp_path, monkeypatch):
    for rank in ("0", None):
        if rank is None:
            monkeypatch.delenv("RANK", raising=False)
        else:
            monkeypatch.setenv("RANK", rank)
        catalog = catalog_at(tmp_path)
        MainProcessSaves().after_catalog_created(catalog)
        catalog.save("metrics", {"rank": rank})
        assert json.loads((tmp_path / "metrics.json").read_text()) == {"rank": rank}
