"""What every kedro command imports: the project's settings (its hooks) and its
pipeline registry. torch, transformers' model and Trainer code, and evaluate
(which imports transformers' pipelines) take seconds to import and only the
nodes that train, predict or score need them, so a CPU stage's run, `kedro
status` or a refusal of bad input must not pay for them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import copy_project

HEAVY = (
    "torch",
    "transformers.modeling_utils",
    "transformers.trainer",
    "transformers.training_args",
    "transformers.pipelines",
    "evaluate",
    "kedro_datasets.huggingface",
)

# Up to where a run's first node would start: the session, its hooks, the
# catalog with every entry of the default pipeline made.
PROBE = f"""
import json, sys
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
bootstrap_project(".")
from extractive_qa.pipeline_registry import register_pipelines
pipelines = register_pipelines()
with KedroSession.create(project_path=".", env="reduced") as session:
    catalog = session.load_context().catalog
    for name in sorted(pipelines["__default__"].datasets()):
        if not name.startswith("params:") and name != "parameters":
            catalog.get(name)
print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))
"""


def test_settings_and_pipelines_import_no_model_code(
    tmp_path: Path, subprocess_env: dict
) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=copy_project(tmp_path),
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr[-4000:]
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    assert loaded == [], (
        f"starting a session and making its catalog imported {loaded}; "
        "import them where a node or function needs them"
    )
