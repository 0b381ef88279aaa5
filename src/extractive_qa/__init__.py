"""Extractive question answering as a Kedro pipeline."""

import re
import warnings

__version__ = "0.1.0"

# MLflow advises type hints to every pyfunc class as it is defined (kedro-mlflow's
# own, the served model's); printed by every run, it is advice to MLflow model
# authors that no setting of this project can answer.
for _known in ("Add type hints to the `predict` method", "Any type hint is inferred"):
    warnings.filterwarnings("ignore", message=f".*{re.escape(_known)}")
