"""Error analysis: per-question scores, breakdowns, worst questions, plots."""

from extractive_qa.pipelines.error_analysis.pipeline import create_pipeline

__all__ = ["create_pipeline"]
