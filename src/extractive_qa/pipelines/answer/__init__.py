"""answer: questions + fine_tuned_model -> answers (not part of the default run)."""

from extractive_qa.pipelines.answer.pipeline import create_pipeline

__all__ = ["create_pipeline"]
