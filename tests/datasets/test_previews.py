"""What kedro-viz shows for the project's own datasets: a few rows, an
article, a model's config; computed from real saved data."""

from __future__ import annotations

import json

import datasets

from extractive_qa.datasets import (
    ArrowTableDataset,
    QAModelDataset,
    SyntheticKorQuADDataset,
    TokenizerDataset,
)
from extractive_qa.qa_model import QAModel


def test_arrow_preview_shows_the_first_rows_with_long_cells_cut(tmp_path):
    table = datasets.Dataset.from_dict(
        {
            "example_id": [f"q{i}" for i in range(8)],
            "input_ids": [list(range(100))] * 8,
            "score": [0.5] * 8,
        }
    )
    dataset = ArrowTableDataset(path=str(tmp_path / "features"))
    dataset.save(table)
    preview = dataset.preview(nrows=3, max_chars=20)
    assert preview["columns"] == ["example_id", "input_ids", "score"]
    assert preview["index"] == [0, 1, 2]
    assert [row[0] for row in preview["data"]] == ["q0", "q1", "q2"]
    assert preview["data"][0][1] == str(list(range(100)))[:19] + "…"
    assert preview["data"][0][2] == 0.5
    json.dumps(preview)  # kedro-viz sends it as JSON


def test_synthetic_preview_is_the_first_articles(tmp_path):
    dataset = SyntheticKorQuADDataset(
        filepath=str(tmp_path / "raw.json"), split="validation", n_questions=20
    )
    document = json.loads(dataset.preview(n_articles=2))
    assert len(document["data"]) == 2
    assert document["data"] == dataset.load()["data"][:2]


def test_model_directory_preview_is_its_config_and_files(
    tmp_path, korean_tokenizer, tiny_qa_model
):
    model = QAModelDataset(filepath=str(tmp_path / "model"))
    model.save(QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer))
    preview = json.loads(model.preview())
    assert "model.safetensors" in preview["files"]
    assert preview["config.json"]["hidden_size"] == tiny_qa_model.config.hidden_size

    tokenizer = TokenizerDataset(filepath=str(tmp_path / "tokenizer"))
    tokenizer.save(korean_tokenizer)
    assert "tokenizer.json" in json.loads(tokenizer.preview())["files"]
