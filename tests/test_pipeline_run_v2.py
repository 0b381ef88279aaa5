"""The shipped ``squad_v2`` environment end to end on a reduced configuration:
synthetic data with unanswerable questions, v2 post-processing and figures,
n-best lists with the empty answer, and the error-analysis reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from extractive_qa.settings import CONFIG_LOADER_ARGS

REPO = Path(__file__).resolve().parents[1]
REDUCED_SIZES = {"raw_train": 300, "raw_validation": 60}
REDUCED_PARAMETERS = {
    "model": {"demo": {"hidden_size": 32, "intermediate_size": 64}},
    "training": {"num_train_epochs": 1, "logging_steps": 5},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's conf with ``squad_v2`` shrunk into a ``reduced_v2`` env."""
    root = tmp_path_factory.mktemp("project_v2")
    # A developer's own (git-ignored) credentials stay out; the placeholder
    # the catalog refers to comes along.
    shutil.copytree(
        REPO / "conf",
        root / "conf",
        ignore=shutil.ignore_patterns("local", "*credentials*"),
    )
    shutil.copy(REPO / "conf/base/credentials.yml", root / "conf/base")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "conf" / "local").mkdir(exist_ok=True)
    (root / "src").mkdir()
    shipped = REPO / "conf" / "squad_v2"
    # The raw entries as squad_v2 resolves them (its globals name the files).
    resolved = OmegaConfigLoader(
        str(REPO / "conf"), env="squad_v2", **CONFIG_LOADER_ARGS
    )["catalog"]
    catalog = {name: resolved[name] for name in REDUCED_SIZES}
    for name, n_questions in REDUCED_SIZES.items():
        catalog[name]["n_questions"] = n_questions
    parameters = yaml.safe_load((shipped / "parameters.yml").read_text())
    reduced = root / "conf" / "reduced_v2"
    reduced.mkdir()
    shutil.copy(shipped / "globals.yml", reduced / "globals.yml")
    (reduced / "catalog.yml").write_text(yaml.safe_dump(catalog))
    (reduced / "parameters.yml").write_text(
        yaml.safe_dump(parameters | REDUCED_PARAMETERS)
    )
    bootstrap_project(root)
    with KedroSession.create(project_path=root, env="reduced_v2") as session:
        session.run()
    return root


def test_v2_figures_split_answerable_and_unanswerable(project: Path) -> None:
    metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
    assert set(metrics) == {"n_examples", "squad_v2", "korquad_v2"}
    for figures in (metrics["squad_v2"], metrics["korquad_v2"]):
        assert figures["total"] == metrics["n_examples"] >= 60
        assert figures["HasAns_total"] + figures["NoAns_total"] == figures["total"]
        assert figures["NoAns_total"] > 0
        assert 0.0 <= figures["exact"] <= figures["f1"] <= 100.0
        assert figures["best_f1"] >= figures["f1"] - 1e-6


def test_empty_answers_follow_the_null_odds(project: Path) -> None:
    output = project / "data/07_model_output"
    predictions = json.loads((output / "validation_predictions.json").read_text())
    null_odds = json.loads((output / "validation_null_odds.json").read_text())
    nbest = json.loads((output / "validation_nbest.json").read_text())
    assert predictions.keys() == null_odds.keys() == nbest.keys()
    # Threshold 0: empty exactly when the null score beats the best span.
    for example_id, answer in predictions.items():
        odds = null_odds[example_id]
        assert (answer == "") == (odds is None or odds > 0.0), example_id
        texts = [entry["text"] for entry in nbest[example_id]]
        if odds is not None and odds > 0:
            assert texts[0] == ""
        elif odds is not None:
            assert texts[0] == answer


def test_error_reports_cover_every_question(project: Path) -> None:
    reporting = project / "data/08_reporting"
    scores = pd.read_csv(reporting / "question_scores.csv", keep_default_na=False)
    breakdown = pd.read_csv(reporting / "error_breakdown.csv", keep_default_na=False)
    worst = pd.read_csv(reporting / "worst_questions.csv", keep_default_na=False)
    assert len(scores) >= 60
    for name in ("question_word", "answer_length", "context_length", "window_count"):
        assert breakdown.loc[breakdown["breakdown"] == name, "questions"].sum() == len(
            scores
        )
    assert "no answer" in set(breakdown["group"])
    assert list(worst["f1"]) == sorted(worst["f1"])
    settings = OmegaConfigLoader(
        str(project / "conf"), env="reduced_v2", **CONFIG_LOADER_ARGS
    )["parameters"]
    assert len(worst) == min(settings["error_analysis"]["n_worst"], len(scores))
    assert (reporting / "error_breakdown.png").stat().st_size > 10_000


def test_kedro_viz_can_preview_the_reports(project: Path) -> None:
    with KedroSession.create(project_path=project, env="reduced_v2") as session:
        catalog = session.load_context().catalog
    table = catalog["error_breakdown"].preview(nrows=40)
    assert table["columns"] == ["breakdown", "group", "questions", "exact_match", "f1"]
    assert {row[0] for row in table["data"]} == {
        "question_word",
        "answer_length",
        "context_length",
        "window_count",
    }
    image = catalog["error_breakdown_plot"].preview()
    # A base64 PNG: the signature \x89PNG encodes as "iVBORw0KGgo".
    assert str(image).startswith("iVBORw0KGgo")
    worst = catalog["worst_questions"].preview(nrows=5)
    assert len(worst["data"]) == 5
    nbest = catalog["validation_nbest"].preview()
    assert len(nbest) > 0
