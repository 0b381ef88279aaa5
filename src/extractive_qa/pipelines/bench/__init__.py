"""The side-by-side benchmark; its nodes live in ``extractive_qa.bench``."""

from extractive_qa.pipelines.bench.pipeline import create_pipeline

__all__ = ["create_pipeline"]
