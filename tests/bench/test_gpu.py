"""make bench-gpu's two steps on a tiny shape, run on the CPU (CI has no GPU):
the windows file, every configuration measured or its failure reported, the
project's predict at two window counts; no timing assertions."""

from __future__ import annotations

import json

import pytest
import torch

from extractive_qa.bench.gpu import check_configuration, main, markdown, prepare, run

TINY_SHAPE = {
    "vocab_size": 700,
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 128,
    "sequence_length": 64,
}
TINY_GPU = {
    "questions": 60,
    "warmup_steps": 1,
    "train_steps": 2,
    "predict_batches": 2,
    "project_predict_windows": [30, 70],
    "project_predict_batch_size": 16,
    "configurations": [
        {
            "mode": "train",
            "precision": "bf16",
            "attention": "sdpa",
            "compile": False,
            "batch_size": 4,
        },
        {
            "mode": "predict",
            "precision": "fp32",
            "attention": "eager",
            "compile": False,
            # More than the windows a tiny run has: batches cycle through them.
            "batch_size": 2048,
        },
        # torch's flash kernel does not train in fp32: this one fails, and is
        # reported while the others are measured.
        {
            "mode": "train",
            "precision": "fp32",
            "attention": "flash",
            "compile": False,
            "batch_size": 4,
        },
    ],
}


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("gpu") / "windows.pt", TINY_SHAPE, TINY_GPU)


def test_prepared_windows_are_full_and_carry_the_settings(windows):
    payload = torch.load(windows, weights_only=True)
    assert payload["shape"]["sequence_length"] == 64
    assert payload["gpu"]["configurations"] == TINY_GPU["configurations"]
    ids = payload["input_ids"]
    assert ids.dtype == torch.int32 and ids.shape[1] == 64 and len(ids) > 10
    for key in ("token_type_ids", "start_positions", "end_positions"):
        assert len(payload[key]) == len(ids)
    # Labels point inside the window.
    assert int(payload["end_positions"].max()) < 64
    assert bool((payload["start_positions"] <= payload["end_positions"]).all())


def test_every_configuration_is_measured_or_its_failure_reported(windows):
    report = run(windows, "cpu")

    train, predict, flash = report["results"]
    assert train["sequences_per_second"] > 0
    assert train["parameters"] > 0
    # The matrix work leaves out the embeddings' 700 x 32 lookup table and adds
    # the attention products: less than the 6N count at this shape.
    assert 0 < train["matrix_tflop_per_second"] <= train["model_tflop_per_second"]
    # No GPU: nothing to read utilisation or GPU memory against.
    assert train["utilisation_of_datasheet_peak"] is None
    assert train["peak_gpu_mib"] is None
    assert predict["sequences_per_second"] > 0
    assert flash["error"].startswith("RuntimeError(")
    assert "sequences_per_second" not in flash

    rows = report["project_predict"]
    assert [row["windows"] for row in rows] == [30, 70]
    assert all(row["windows_per_second"] > 0 for row in rows)

    table = markdown(report)
    assert "| train | bf16 | sdpa | False | 4 |" in table
    failed = next(line for line in table.splitlines() if "failed:" in line)
    assert failed.startswith("| train | fp32 | flash | False | 4 | failed: Runtime")
    header = next(line for line in table.splitlines() if line.startswith("| mode"))
    assert failed.count("|") == header.count("|")
    assert "| 70 |" in table


def test_matrix_work_per_token_counts_layers_outside_the_embeddings():
    from extractive_qa.bench.electra_base import base_model
    from extractive_qa.bench.gpu import matrix_flop_per_token

    shape = TINY_SHAPE
    model = base_model(shape, "sdpa", seed=1)
    total = sum(p.numel() for p in model.parameters())
    embeddings = sum(p.numel() for p in model.electra.embeddings.parameters())
    # word (700 x 32) + positions (128 x 32) + 2 token types + layer norm
    assert embeddings == 700 * 32 + 128 * 32 + 2 * 32 + 2 * 32
    attention = 4 * 1 * 64 * 32
    assert matrix_flop_per_token(model, shape, 1) == 2 * (total - embeddings) + (
        attention
    )
    assert matrix_flop_per_token(model, shape, 3) == 3 * matrix_flop_per_token(
        model, shape, 1
    )


def test_a_bad_configuration_is_refused_before_it_runs():
    with pytest.raises(ValueError, match="precision must be one of bf16"):
        check_configuration(
            {"mode": "train", "precision": "int8", "attention": "sdpa", "batch_size": 1}
        )
    with pytest.raises(ValueError, match="compile must be true, false or one of"):
        check_configuration(
            {
                "mode": "predict",
                "precision": "bf16",
                "attention": "sdpa",
                "compile": "fastest",
                "batch_size": 1,
            }
        )
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        check_configuration(
            {
                "mode": "train",
                "precision": "bf16",
                "attention": "sdpa",
                "compile": False,
                "batch_size": 0,
            }
        )


def test_the_command_writes_the_report_and_refuses_a_missing_gpu(windows, tmp_path):
    output = tmp_path / "report"
    assert (
        main(
            [
                "run",
                "--windows",
                str(windows),
                "--device",
                "cpu",
                "--output",
                str(output),
            ]
        )
        == 0
    )
    report = json.loads(output.with_suffix(".json").read_text())
    assert len(report["results"]) == 3
    assert output.with_suffix(".md").read_text().startswith(report["machine"]["cpu"])

    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):
            main(["run", "--windows", str(windows), "--device", "cuda"])
    with pytest.raises(SystemExit):
        main(["run", "--windows", str(tmp_path / "absent.pt")])
