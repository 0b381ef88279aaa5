"""Project metrics as local evaluate modules, loadable without the Hugging Face Hub.

Each metric is a folder ``<name>/<name>.py`` next to this file (evaluate wants the
script named after its folder); adding a folder makes it loadable by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import evaluate

_METRICS_DIR = Path(__file__).resolve().parent


def available_metrics() -> list[str]:
    """Names of the metric folders that hold a script of the same name."""
    return sorted(
        folder.name
        for folder in _METRICS_DIR.iterdir()
        if (folder / f"{folder.name}.py").is_file()
    )


def load(name: str, **load_kwargs: Any) -> evaluate.EvaluationModule:
    """Load the project metric ``name`` (e.g. "squad", "korquad") from its script.

    The absolute path keeps evaluate from treating the name as a Hub id, so this
    works offline and from any working directory; ``load_kwargs`` go to
    ``evaluate.load`` (e.g. ``keep_in_memory=True``, ``experiment_id``).
    """
    names = available_metrics()
    if name not in names:
        raise ValueError(
            f"Unknown metric {name!r}; available metrics: {', '.join(names)}. "
            f"Each is a folder <name>/<name>.py under {_METRICS_DIR}."
        )
    # Imported on use: evaluate imports transformers' pipelines and model code,
    # seconds that every kedro command would otherwise pay.
    import evaluate

    return evaluate.load(str(_METRICS_DIR / name / f"{name}.py"), **load_kwargs)
