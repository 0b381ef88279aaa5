"""score: validation_predictions -> metrics."""

from extractive_qa.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
