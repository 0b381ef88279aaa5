"""make bench-scale on tiny sizes: the report's shape and the exponent fit, with
no timing assertions."""

from __future__ import annotations

import json

import datasets
import numpy as np
import pytest

from extractive_qa.bench.scale import made_logits, main
from extractive_qa.bench.scale_report import STAGES, growth_exponent


def test_growth_exponent_recovers_the_power_and_skips_empty_values():
    sizes = [1_000, 10_000, 100_000]
    assert growth_exponent(sizes, [3e-4 * n**1.5 for n in sizes]) == pytest.approx(1.5)
    assert growth_exponent(sizes, [0.0, 2.0, 20.0]) == pytest.approx(1.0)
    assert growth_exponent(sizes, [0.0, 0.0, 5.0]) is None


def test_made_logits_peak_at_the_labels_and_mask_the_padding():
    features = datasets.Dataset.from_dict(
        {
            "input_ids": [[1, 2, 3, 4], [1, 2]],
            "start_positions": [2, 0],
            "end_positions": [3, 0],
        }
    )
    start, end = made_logits(features, max_length=6, seed=1)

    assert start.shape == end.shape == (2, 6)
    assert np.isneginf(start[0, 4:]).all() and np.isneginf(end[1, 2:]).all()
    assert np.argmax(start, axis=1).tolist() == [2, 0]
    assert np.argmax(end, axis=1).tolist() == [3, 0]


@pytest.mark.slow
def test_the_bench_writes_every_stage_at_every_size(tmp_path):
    output = tmp_path / "scale"
    assert (
        main(
            [
                "--sizes",
                "150",
                "300",
                "--tokenizer-questions",
                "150",
                "--output",
                str(output),
            ]
        )
        == 0
    )

    report = json.loads(output.with_suffix(".json").read_text())
    # Whole paragraphs are generated, so a size is the first count at or past n.
    counts = [size["questions"] for size in report["sizes"]]
    assert 150 <= counts[0] < 160 and 300 <= counts[1] < 310
    for size in report["sizes"]:
        assert size["windows"] >= size["questions"]
        for stage, has_reference in STAGES.items():
            recipes = {"project", "reference"} if has_reference else {"project"}
            assert set(size["stages"][stage]) == recipes
            for figures in size["stages"][stage].values():
                assert figures["seconds"] > 0
                assert figures["output_bytes"] > 0
    summary = report["summary"]
    assert set(summary["stages"]) == set(STAGES)
    assert summary["stages"]["postprocess"]["speedup_at_largest"] > 0
    assert set(summary["targets"]) == {
        "time_exponent_at_most",
        "postprocess_speedup_at_largest",
        "feature_preparation_speedup_at_largest",
    }
    table = output.with_suffix(".md").read_text()
    assert "| postprocess | reference |" in table
    assert output.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
