"""predict and postprocess: validation_features -> logits -> predictions."""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.inference.nodes import postprocess, predict


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                predict,
                inputs=dict(
                    validation_features="validation_features",
                    fine_tuned_model="fine_tuned_model",
                    inference="params:inference",
                ),
                outputs="validation_logits",
                name="predict",
                tags=["gpu"],
            ),
            node(
                postprocess,
                inputs=dict(
                    validation_examples="validation_examples",
                    validation_features="validation_features",
                    validation_logits="validation_logits",
                    postprocessing="params:postprocessing",
                ),
                outputs="validation_predictions",
                name="postprocess",
                tags=["cpu"],
            ),
        ]
    )
