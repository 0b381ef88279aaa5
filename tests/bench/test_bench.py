"""The benchmark on a reduced set-up: both recipes run for real and must agree.

A few dozen synthetic questions, a tiny model trained for one epoch; the
pipeline runs through Kedro's runner and writes its table. No timing is
asserted: only that the parity checks pass (and fail when outputs differ) and
that the report has its structure.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest
from kedro.framework.startup import bootstrap_project
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro_datasets.json import JSONDataset
from kedro_datasets.text import TextDataset

from extractive_qa.bench import reference
from extractive_qa.bench.parity import ParityError, check_answers, check_labels
from extractive_qa.bench.project import base_parameters, project_root
from extractive_qa.bench.recipes import project_features, reference_features
from extractive_qa.bench.report import COLUMNS, StageRow, markdown_table
from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.pipelines.bench.pipeline import create_pipeline
from extractive_qa.pipelines.training.nodes import prepare_model
from extractive_qa.records.shapes import to_examples

REPO = Path(__file__).resolve().parents[2]
TINY_DEMO = {
    "vocab_size": 400,
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 128,
    "dropout": 0.0,
    "seed": 0,
}
# Short windows, so long contexts overflow into several and some windows
# lack the answer (labelled with the CLS position).
TOKENIZATION = {
    "max_length": 96,
    "doc_stride": 32,
    "max_query_length": 32,
    "chunk_size": 1000,
}
TRAINING = {
    "learning_rate": 2e-3,
    "num_train_epochs": 1,
    "batch_size": 8,
    "weight_decay": 0.01,
    "warmup_ratio": 0.06,
    "lr_scheduler_type": "linear",
    "report_to": "none",
    "seed": 13,
    "logging_steps": 50,
    "dataloader_num_workers": 0,
    "sampling_strategy": "length_buckets",
    "length_bucket_batches": 4,
}
STAGES = {
    "feature preparation (train + validation)",
    "features on disk (Arrow, train + validation)",
    "training throughput",
    "prediction",
    "post-processing",
    "end to end (features, train, predict, postprocess, score)",
    "final F1 (korquad)",
    "final F1 (squad)",
}
# bench.targets' names as conf/base has them, each with a value of its own,
# so the report shows where each row's target came from.
TARGETS = {
    name: 1.0 + index / 10
    for index, name in enumerate(base_parameters(project_root())["bench"]["targets"])
}


def _examples(split: str, n_questions: int) -> datasets.Dataset:
    document = generate_korquad(
        split=split, n_questions=n_questions, seed=5, long_fraction=0.3
    )
    return to_examples(document, f"raw_{split}")


@pytest.fixture(scope="module")
def inputs() -> dict:
    train = _examples("train", 32)
    validation = _examples("validation", 12)
    model = prepare_model(train, {"checkpoint": None, "demo": TINY_DEMO})
    return {
        "train_examples": train,
        "validation_examples": validation,
        "tokenizer": model["tokenizer"],
        "base_model": model["base_model"],
    }


@pytest.fixture(scope="module")
def report(inputs: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bench pipeline run once through Kedro's runner; its output folder."""
    folder = tmp_path_factory.mktemp("bench")
    parameters = {
        "tokenization": TOKENIZATION,
        "training": TRAINING,
        "inference": {"batch_size": 8, "device": "cpu"},
        "postprocessing": {
            "n_best_size": 20,
            "max_answer_length": 30,
            "null_score_diff_threshold": 0.0,
        },
        "bench": {
            "n_train_examples": None,
            "n_validation_examples": None,
            "num_train_epochs": None,
            "repeats": 2,
            "output_dir": str(folder / "work"),
            "targets": TARGETS,
        },
    }
    catalog = DataCatalog(
        datasets={
            **{
                name: MemoryDataset(value, copy_mode="assign")
                for name, value in inputs.items()
            },
            **{
                f"params:{name}": MemoryDataset(value)
                for name, value in parameters.items()
            },
            "bench_features": MemoryDataset(copy_mode="assign"),
            "bench_training": MemoryDataset(copy_mode="assign"),
            "benchmark": JSONDataset(filepath=str(folder / "benchmark.json")),
            "benchmark_table": TextDataset(filepath=str(folder / "benchmark.md")),
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    return folder


def test_the_report_has_every_stage_and_its_figures(report: Path, inputs: dict) -> None:
    written = json.loads((report / "benchmark.json").read_text())
    assert {row["stage"] for row in written["stages"]} == STAGES
    # Each row's target is one of bench.targets (final F1 twice: both metrics).
    assert sorted(row["target"] for row in written["stages"]) == sorted(
        [*TARGETS.values(), TARGETS["final_f1"]]
    )
    for row in written["stages"]:
        assert list(row) == list(COLUMNS)
        if row["unit"] == "F1":
            # A model this small may well score 0 (then the ratio may be None).
            assert 0 <= row["reference"] <= 100 and 0 <= row["project"] <= 100
            if row["ratio"] is None:
                assert row["met"] and row["reference"] == 0 < row["project"]
                continue
        else:
            assert row["reference"] > 0 and row["project"] > 0
        assert row["met"] == (
            row["ratio"] <= row["target"]
            if row["unit"] == "MiB"
            else row["ratio"] >= row["target"]
        )
    assert written["inputs"]["validation_examples"] == len(
        inputs["validation_examples"]
    )
    assert written["inputs"]["train_windows"] > len(inputs["train_examples"])
    assert written["machine"]["cores"] >= 1
    for recipe in ("reference", "project"):
        assert 0.0 <= written["metrics"][recipe]["korquad"]["f1"] <= 100.0


def test_the_parity_checks_ran_on_every_window_and_question(
    report: Path, inputs: dict
) -> None:
    written = json.loads((report / "benchmark.json").read_text())
    parity = written["parity"]
    train_windows = written["inputs"]["train_windows"]
    assert parity["train_windows_labelled_alike"] == train_windows
    assert parity["validation_windows_alike"] == written["inputs"]["validation_windows"]
    n_questions = len(inputs["validation_examples"])
    assert parity["postprocess_answers_alike"] == n_questions
    assert parity["predict_answers_alike"] == n_questions


def test_the_markdown_table_lists_every_stage(report: Path) -> None:
    table = (report / "benchmark.md").read_text().splitlines()
    assert table[0].startswith("| stage | unit | reference | project | ratio |")
    assert {line.split(" | ")[0].lstrip("| ") for line in table[2:]} == STAGES


def test_reference_labels_include_answers_and_cls_windows(inputs: dict) -> None:
    """The reduced set-up exercises both labelling paths the parity covers."""
    ref_train, _ = reference_features(
        inputs["train_examples"],
        inputs["validation_examples"],
        inputs["tokenizer"],
        TOKENIZATION,
    )
    starts = np.asarray(ref_train["start_positions"])
    assert (starts == 0).any() and (starts > 0).any()


def test_a_changed_label_fails_the_parity_check(inputs: dict) -> None:
    ref_train, _ = reference_features(
        inputs["train_examples"],
        inputs["validation_examples"],
        inputs["tokenizer"],
        TOKENIZATION,
    )
    own_train, _ = project_features(
        inputs["train_examples"],
        inputs["validation_examples"],
        inputs["tokenizer"],
        TOKENIZATION,
    )
    assert check_labels(ref_train, own_train) == len(own_train)
    ends = own_train["end_positions"][:]
    ends[3] += 1
    tampered = own_train.remove_columns("end_positions").add_column(
        "end_positions", ends
    )
    with pytest.raises(ParityError, match=r"1 windows are labelled differently"):
        check_labels(ref_train, tampered)


def test_a_changed_answer_fails_the_parity_check() -> None:
    assert check_answers({"a": "서울", "b": ""}, {"a": "서울", "b": ""}, "x") == 2
    with pytest.raises(ParityError, match=r"1 of 2 answers differ.*'b', '', '부산'"):
        check_answers({"a": "서울", "b": ""}, {"a": "서울", "b": "부산"}, "x")


def test_the_reference_postprocess_answers_from_the_context(inputs: dict) -> None:
    """Peaked logits on one context token pick that token's text."""
    _, ref_validation = reference_features(
        inputs["train_examples"].select(range(2)),
        inputs["validation_examples"].select(range(1)),
        inputs["tokenizer"],
        TOKENIZATION,
    )
    offsets = ref_validation[0]["offset_mapping"]
    token = next(i for i, pair in enumerate(offsets) if pair is not None) + 2
    start_logits = np.zeros((len(ref_validation), TOKENIZATION["max_length"]))
    end_logits = np.zeros_like(start_logits)
    start_logits[0, token] = end_logits[0, token] = 10.0
    answers = reference.postprocess(
        inputs["validation_examples"].select(range(1)),
        ref_validation,
        start_logits,
        end_logits,
        n_best_size=20,
        max_answer_length=30,
    )
    context = inputs["validation_examples"][0]["context"]
    assert list(answers.values()) == [context[offsets[token][0] : offsets[token][1]]]


def test_the_benchmark_is_not_part_of_the_default_pipeline() -> None:
    from extractive_qa.pipeline_registry import register_pipelines

    bootstrap_project(REPO)
    pipelines = register_pipelines()
    bench_nodes = {node.name for node in pipelines["bench"].nodes}
    assert bench_nodes == {
        "benchmark_features",
        "benchmark_training",
        "benchmark_inference",
    }
    assert not bench_nodes & {node.name for node in pipelines["__default__"].nodes}


def test_a_zero_reference_f1_gives_a_ratio_instead_of_a_crash() -> None:
    both_zero = StageRow("final F1", "F1", 0.0, 0.0, 1.0, higher_is_better=True)
    only_reference_zero = StageRow("final F1", "F1", 0.0, 12.5, 1.0, True)
    only_project_zero = StageRow("final F1", "F1", 12.5, 0.0, 1.0, True)

    assert (both_zero.ratio, both_zero.met) == (1.0, True)
    assert only_reference_zero.met and only_reference_zero.record()["ratio"] is None
    assert (only_project_zero.ratio, only_project_zero.met) == (0.0, False)
    assert "| 1.00x |" in markdown_table([both_zero])
