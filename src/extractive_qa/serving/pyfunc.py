"""An MLflow pyfunc over the library's answering path.

``log_qa_model`` saves a ``QAModel`` (weights, tokenizer and its
``qa_settings.json``) into the active MLflow run; ``mlflow models serve -m
runs:/<id>/model --env-manager local`` then answers JSON rows of ``question``,
``context`` and an optional ``id``, each with the same windows and span
decoding as evaluation. A request whose rows cannot be answered (a blank
context, repeated ids) gets a 400 whose message says which rows and why.
"""

from __future__ import annotations

import logging
import tempfile
from importlib.metadata import version
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.types import ColSpec, Schema

from extractive_qa.datasets import QAModelDataset
from extractive_qa.qa.answer_settings import AnswerSettings
from extractive_qa.qa.answering import (
    answer_questions,
    answers_table,
    to_question_dataset,
)
from extractive_qa.qa_model import QAModel

logger = logging.getLogger(__name__)

# Inside the logged model: the save_pretrained folder.
MODEL_ARTIFACT = "qa_model"
# The serving settings in the logged model's model_config, which MLflow also
# logs as run parameters: named apart from the run's own parameters.
SERVING_KEYS = ("serving.chunk_size", "serving.batch_size", "serving.device")
SIGNATURE = ModelSignature(
    inputs=Schema(
        [
            ColSpec("string", "question"),
            ColSpec("string", "context"),
            ColSpec("string", "id", required=False),
        ]
    ),
    outputs=Schema(
        [
            ColSpec("string", "id"),
            ColSpec("string", "question"),
            ColSpec("string", "answer"),
            ColSpec("double", "score", required=False),
            ColSpec("double", "probability", required=False),
            ColSpec("long", "answer_start"),
            ColSpec("long", "answer_end"),
        ]
    ),
)


class QAPyfunc(mlflow.pyfunc.PythonModel):
    """Rows of ``question``, ``context`` (and ``id``) -> one answer each."""

    def load_context(self, context: Any) -> None:
        folder = context.artifacts[MODEL_ARTIFACT]
        self._model = QAModelDataset(filepath=folder).load()
        self._settings = AnswerSettings.of_model(self._model, folder)
        config = dict(context.model_config)
        # Models logged before the keys were named "serving.*" have bare keys.
        chunk_size, batch_size, device = (
            config.get(key, config.get(key.removeprefix("serving.")))
            for key in SERVING_KEYS
        )
        self._chunk_size, self._batch_size = chunk_size, batch_size
        self._device = serving_device(device)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        try:
            questions = to_question_dataset(model_input, source="request")
        except ValueError as error:
            # MLflow turns any other exception into a generic message.
            raise MlflowException(
                str(error), error_code=INVALID_PARAMETER_VALUE
            ) from None
        answers = answer_questions(
            questions,
            self._model,
            self._settings,
            chunk_size=self._chunk_size,
            batch_size=self._batch_size,
            device=self._device,
        )
        return answers_table(answers)


def serving_device(logged: str) -> str:
    """The device the model was logged with (the training run's
    ``inference.device``), or ``auto`` where this machine has no such device:
    a model logged on a GPU machine is often served from a CPU one."""
    from extractive_qa.qa.inference import pick_device

    try:
        pick_device(logged)
    except ValueError as error:
        logger.warning(
            "the model was logged with device %r, which this machine lacks (%s); "
            "serving on device 'auto'",
            logged,
            error,
        )
        return "auto"
    return logged


def log_qa_model(
    qa_model: QAModel, chunk_size: int, batch_size: int, device: str
) -> str:
    """Log ``qa_model`` as the active run's MLflow model ``model``; its URI.

    ``chunk_size`` (questions tokenized per call), ``batch_size`` (windows per
    forward pass) and ``device`` are the serving process's, from the run's
    ``tokenization`` and ``inference`` parameters."""
    with tempfile.TemporaryDirectory() as folder:
        QAModelDataset(filepath=f"{folder}/{MODEL_ARTIFACT}").save(qa_model)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=QAPyfunc(),
            artifacts={MODEL_ARTIFACT: f"{folder}/{MODEL_ARTIFACT}"},
            model_config=dict(
                zip(SERVING_KEYS, (chunk_size, batch_size, device), strict=True)
            ),
            signature=SIGNATURE,
            # Served with --env-manager local; the list documents what it ran on.
            pip_requirements=[
                f"{package}=={version(package)}"
                for package in ("torch", "transformers", "tokenizers", "datasets")
            ]
            + [f"extractive-qa=={version('extractive-qa')}"],
        )
    return info.model_uri
