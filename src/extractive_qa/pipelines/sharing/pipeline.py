"""push_to_hub: fine_tuned_model -> the Hugging Face Hub (no-op unless switched on)."""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.sharing.nodes import push_to_hub


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                push_to_hub,
                inputs=dict(fine_tuned_model="fine_tuned_model", hub="params:hub"),
                outputs=None,
                name="push_to_hub",
                tags=["report"],
            )
        ]
    )
