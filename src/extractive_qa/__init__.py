"""Extractive question answering as a Kedro pipeline."""

import logging

from extractive_qa.log_filters import DropMessages

__version__ = "0.1.0"

# MLflow advises type hints to every pyfunc class as it is defined (kedro-mlflow's
# own, imported by every kedro command): advice to MLflow model authors that no
# setting of this project can answer. Set here, before any of the project's
# modules imports MLflow; Kedro's logging configuration may not name a filter.
_MLFLOW_PYFUNC_ADVICE = [
    "Add type hints to the `predict` method",
    "Any type hint is inferred",
]
logging.getLogger("py.warnings").addFilter(DropMessages(_MLFLOW_PYFUNC_ADVICE))
