"""A raw source of the wrong shape stops a real ``kedro run`` with its path."""

from __future__ import annotations

import os
import subprocess
import sys

import datasets

CATALOG = {
    "raw_train": {
        "type": "extractive_qa.datasets.SyntheticKorQuADDataset",
        "filepath": "data/01_raw/synthetic_korquad_train.json",
        "split": "train",
        "n_questions": 20,
        "seed": 13,
    },
    "raw_validation": {
        "type": "huggingface.ArrowDataset",
        "path": "data/01_raw/validation_table",
    },
}


def test_table_without_question_column_names_the_folder(tmp_path, project_factory):
    project = project_factory(tmp_path, CATALOG, {})
    datasets.Dataset.from_dict(
        {
            "id": ["q1"],
            "context": ["김민수는 부산에서 태어났다."],
            "answers": [{"text": ["부산"], "answer_start": [5]}],
        }
    ).save_to_disk(str(project / "data/01_raw/validation_table"))

    done = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--env", "reduced", "--nodes", "load"],
        cwd=project,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "COLUMNS": "400"},
        timeout=300,
        capture_output=True,
        text=True,
    )

    assert done.returncode != 0
    folder = project / "data/01_raw/validation_table"
    *_, kind, message = done.stderr.strip().splitlines()
    assert kind == "Run failed in node 'load': MalformedSourceError"
    assert message.startswith(f"raw_validation ({folder}): the dataset lacks")
    assert "lacks columns ['question']" in message
