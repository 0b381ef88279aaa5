"""predict and postprocess: validation_features -> logits -> predictions."""

from extractive_qa.pipelines.inference.pipeline import create_pipeline

__all__ = ["create_pipeline"]
