"""push_to_hub: fine_tuned_model -> the Hugging Face Hub, when switched on."""

from extractive_qa.pipelines.sharing.pipeline import create_pipeline

__all__ = ["create_pipeline"]
