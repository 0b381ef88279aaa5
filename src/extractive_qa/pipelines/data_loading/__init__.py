"""load: raw_train, raw_validation -> train_examples, validation_examples."""

from extractive_qa.pipelines.data_loading.pipeline import create_pipeline

__all__ = ["create_pipeline"]
