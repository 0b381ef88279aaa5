"""prepare_model and fine_tune: train_examples -> base_model -> fine_tuned_model."""

from extractive_qa.pipelines.training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
