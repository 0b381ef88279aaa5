"""make bench-base on a tiny shape: every configuration measured in its own
process, the report written; no timing assertions."""

from __future__ import annotations

import json

import pytest

from extractive_qa.bench.base_size import main
from extractive_qa.bench.electra_base import base_model

TINY = {
    "vocab_size": 700,
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 128,
    "sequence_length": 64,
    "questions": 60,
    "batch_size": 2,
    "warmup_steps": 1,
    "train_steps": 2,
    "predict_batches": 2,
    "configurations": [
        {"attention": "sdpa", "compile": False, "threads": 1},
        {"attention": "eager", "compile": False, "threads": 2},
    ],
}


def test_both_attention_implementations_give_the_same_logits():
    """The bench compares speed only: the two implementations compute the same."""
    import torch

    inputs = {"input_ids": torch.tensor([[1, 5, 9, 2, 7, 3]])}
    sdpa = base_model(TINY, "sdpa", seed=3).eval()
    eager = base_model(TINY, "eager", seed=3).eval()
    assert sdpa.config._attn_implementation == "sdpa"
    with torch.inference_mode():
        assert torch.allclose(
            sdpa(**inputs).start_logits, eager(**inputs).start_logits, atol=1e-5
        )


@pytest.mark.slow
def test_every_configuration_is_measured_and_reported(tmp_path):
    output = tmp_path / "base"
    assert main(["--shape", json.dumps(TINY), "--output", str(output)]) == 0

    report = json.loads(output.with_suffix(".json").read_text())
    assert [r["configuration"] for r in report["results"]] == TINY["configurations"]
    for result in report["results"]:
        assert result["full_windows"] >= TINY["batch_size"]
        assert result["train"]["samples_per_second"] > 0
        assert result["train"]["step_seconds"] > 0
        assert result["predict"]["windows_per_second"] > 0
    assert report["machine"]["cpu_capability"]
    table = output.with_suffix(".md").read_text()
    assert table.count("\n| sdpa | False | 1 |") == 1
    assert "| eager | False | 2 |" in table
