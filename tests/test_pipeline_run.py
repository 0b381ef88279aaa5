"""The real pipeline through Kedro on a reduced configuration.

A copy of the project's conf runs in a temporary project folder with an extra
``reduced`` environment (fewer questions, a smaller model, fewer epochs), so
every stage runs for real and writes every catalog entry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

REPO = Path(__file__).resolve().parents[1]
STAGES = ("prepare", "train", "report")

REDUCED_CATALOG = {
    "raw_train": {
        "type": "extractive_qa.datasets.SyntheticKorQuADDataset",
        "filepath": "data/01_raw/synthetic_korquad_train.json",
        "split": "train",
        "n_questions": 300,
        "seed": 13,
    },
    "raw_validation": {
        "type": "extractive_qa.datasets.SyntheticKorQuADDataset",
        "filepath": "data/01_raw/synthetic_korquad_validation.json",
        "split": "validation",
        "n_questions": 60,
        "seed": 13,
    },
}
REDUCED_PARAMETERS = {
    "model": {"demo": {"hidden_size": 32, "intermediate_size": 64}},
    "training": {"num_train_epochs": 1, "logging_steps": 5},
}
# Every entry the issue names as the pipeline's contract, and where it lands.
WRITTEN = {
    "train_examples": "data/02_intermediate/train_examples",
    "validation_examples": "data/02_intermediate/validation_examples",
    "tokenizer": "data/06_models/tokenizer/tokenizer.json",
    "base_model": "data/06_models/base_model/model.safetensors",
    "train_features": "data/04_feature/train_features",
    "validation_features": "data/04_feature/validation_features",
    "fine_tuned_model": "data/06_models/fine_tuned_model/model.safetensors",
    "validation_logits": "data/07_model_output/validation_logits",
    "validation_predictions": "data/07_model_output/validation_predictions.json",
    "metrics": "data/08_reporting/metrics.json",
    "training_curve": "data/08_reporting/training_curve.json",
    "train_data_quality": "data/08_reporting/train_data_quality.json",
    "validation_data_quality": "data/08_reporting/validation_data_quality.json",
    "validation_nbest": "data/07_model_output/validation_nbest.json",
    "validation_null_odds": "data/07_model_output/validation_null_odds.json",
    "question_scores": "data/08_reporting/question_scores.csv",
    "error_breakdown": "data/08_reporting/error_breakdown.csv",
    "error_breakdown_plot": "data/08_reporting/error_breakdown.png",
    "worst_questions": "data/08_reporting/worst_questions.csv",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, project_factory) -> Path:
    """A project folder: the repository's conf plus the ``reduced`` env, run once."""
    root = project_factory(
        tmp_path_factory.mktemp("project"), REDUCED_CATALOG, REDUCED_PARAMETERS
    )
    bootstrap_project(root)
    with KedroSession.create(project_path=root, env="reduced") as session:
        session.run()
    return root


def test_full_run_writes_every_catalog_entry(project: Path) -> None:
    for name, path in WRITTEN.items():
        assert (project / path).exists(), f"{name} was not written to {path}"
    document = json.loads(
        (project / REDUCED_CATALOG["raw_train"]["filepath"]).read_text()
    )
    assert {"version", "data"} <= set(document)


def test_metrics_are_in_range(project: Path) -> None:
    metrics = json.loads((project / WRITTEN["metrics"]).read_text())
    predictions = json.loads((project / WRITTEN["validation_predictions"]).read_text())
    assert metrics["n_examples"] == len(predictions) >= 60
    for name in ("squad", "korquad"):
        assert 0.0 <= metrics[name]["exact_match"] <= metrics[name]["f1"] <= 100.0


def test_postprocess_and_score_rerun_alone_from_persisted_artifacts(
    project: Path,
) -> None:
    predictions_path = project / WRITTEN["validation_predictions"]
    metrics_path = project / WRITTEN["metrics"]
    before = json.loads(predictions_path.read_text())
    metrics_before = json.loads(metrics_path.read_text())
    predictions_path.unlink()
    metrics_path.unlink()
    with KedroSession.create(project_path=project, env="reduced") as session:
        session.run(node_names=["postprocess"])
    assert json.loads(predictions_path.read_text()) == before
    assert not metrics_path.exists()
    # The score stage alone, through the real command line.
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1"}
    subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--env", "reduced", "--nodes", "score"],
        cwd=project,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    assert json.loads(metrics_path.read_text()) == metrics_before


def test_stages_split_the_default_run_in_order() -> None:
    from extractive_qa.pipeline_registry import register_pipelines

    bootstrap_project(REPO)
    pipelines = register_pipelines()
    default = pipelines["__default__"]
    stages = {s: {n.name for n in pipelines[s].nodes} for s in STAGES}
    assert stages["train"] == {"fine_tune", "predict"}
    assert {"load", "prepare_model", "tokenize_train", "tokenize_validation"} == (
        stages["prepare"]
    )
    assert {"postprocess", "rank_answers", "score", "push_to_hub"} <= stages["report"]
    # Together they are the default run, each node in one stage only.
    assert sum(len(names) for names in stages.values()) == len(default.nodes)
    assert set().union(*stages.values()) == {n.name for n in default.nodes}
    # No stage needs what a later one writes, so they run one machine after another.
    prepared = pipelines["prepare"].all_outputs()
    later = pipelines["train"].all_outputs() | pipelines["report"].all_outputs()
    assert not pipelines["prepare"].inputs() & later
    assert not pipelines["train"].inputs() & pipelines["report"].all_outputs()
    read_by_train = {i for i in pipelines["train"].inputs() if ":" not in i}
    # Besides what prepare wrote, train reads only where its checkpoints go.
    assert read_by_train - prepared == {"fine_tune_checkpoints"}
    # The gpu tag still picks the GPU nodes; the old catch-all cpu tag is gone,
    # so `--tags=cpu` cannot run the report before training.
    gpu = {node.name for node in default.only_nodes_with_tags("gpu").nodes}
    assert gpu == stages["train"]
    assert not default.only_nodes_with_tags("cpu").nodes


def test_a_node_without_a_stage_is_refused() -> None:
    from kedro.pipeline import Pipeline, node

    from extractive_qa.pipeline_registry import stage_pipelines

    untagged = Pipeline([node(len, "train_examples", "n", name="count")])
    with pytest.raises(ValueError, match=r"\['count'\] carry no stage tag"):
        stage_pipelines(untagged)
    backwards = Pipeline(
        [
            node(len, "metrics", "n", name="early", tags=["prepare"]),
            node(len, "x", "metrics", name="late", tags=["report"]),
        ]
    )
    with pytest.raises(ValueError, match=r"Stage 'prepare' reads \['metrics'\]"):
        stage_pipelines(backwards)


def test_kedro_viz_build_draws_the_pipeline(project: Path) -> None:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1"}
    subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build"],
        cwd=project,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    graph = json.loads((project / "build" / "api" / "main").read_text())
    names = {node["name"] for node in graph["nodes"]}
    assert {"load", "fine_tune", "predict", "postprocess", "score"} <= names


def test_two_runs_with_the_same_seed_give_identical_results(
    project: Path, tmp_path: Path, project_factory
) -> None:
    again = project_factory(tmp_path, REDUCED_CATALOG, REDUCED_PARAMETERS)
    bootstrap_project(again)
    with KedroSession.create(project_path=again, env="reduced") as session:
        session.run()

    for name in ("train_features", "validation_features", "validation_logits"):
        first = datasets.load_from_disk(str(project / WRITTEN[name]))
        second = datasets.load_from_disk(str(again / WRITTEN[name]))
        assert first.data.table.equals(second.data.table), name
        assert first.info.description == second.info.description, name
    for name in ("validation_predictions", "metrics"):
        first = json.loads((project / WRITTEN[name]).read_text())
        assert first == json.loads((again / WRITTEN[name]).read_text()), name
