"""The Kedro project a benchmark runs in, and its ``conf/base`` parameters
(the benchmarks read their sizes and settings there, like the pipelines)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any


def project_root() -> Path:
    """The Kedro project folder (where ``conf/`` is), from this file."""
    return Path(__file__).resolve().parents[3]


def base_parameters(root: Path) -> dict[str, Any]:
    """The parameters of ``conf/base`` (the defaults live there only)."""
    from kedro.config import OmegaConfigLoader

    # Kedro's own use of a deprecated OmegaConf call; nothing here can act on it.
    warnings.filterwarnings("ignore", message=".*register_new_resolver")
    loader = OmegaConfigLoader(
        str(root / "conf"), base_env="base", default_run_env="base"
    )
    return loader["parameters"]
