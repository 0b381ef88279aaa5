"""What every kedro command imports: the project's settings (its hooks) and its
pipeline registry. torch, transformers' model and Trainer code, and evaluate
(which imports transformers' pipelines) take seconds to import and only the
nodes that train, predict or score need them, so a CPU stage's run, `kedro
status` or a refusal of bad input must not pay for them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "torch",
    "transformers.modeling_utils",
    "transformers.trainer",
    "transformers.training_args",
    "transformers.pipelines",
    "evaluate",
    "kedro_datasets.huggingface",
)

PROBE = f"""
import json, sys
import extractive_qa.settings
from extractive_qa.pipeline_registry import register_pipelines
from extractive_qa.datasets import ArrowTableDataset, QAModelDataset
pipelines = register_pipelines()
assert pipelines["__default__"].nodes
print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))
"""


def test_settings_and_pipelines_import_no_model_code(subprocess_env: dict) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr[-4000:]
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    assert loaded == [], (
        f"importing the project's settings and pipelines imported {loaded}; "
        "import them where a node or function needs them"
    )
