"""tokenize_train / tokenize_validation: examples -> window feature sets."""

from extractive_qa.pipelines.features.pipeline import create_pipeline

__all__ = ["create_pipeline"]
