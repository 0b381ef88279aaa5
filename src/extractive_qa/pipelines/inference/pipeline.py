"""predict, postprocess, rank_answers: validation_features -> logits ->
predictions, n-best lists, null odds and answer probabilities."""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.inference.nodes import postprocess, predict, rank_answers


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
                tags=["train", "gpu"],
            ),
            node(
                postprocess,
                inputs=dict(
                    validation_examples="validation_examples",
                    validation_features="validation_features",
                    validation_logits="validation_logits",
                    postprocessing="params:postprocessing",
                    version_2_with_negative="params:task.version_2_with_negative",
                ),
                outputs="validation_predictions",
                name="postprocess",
                tags=["report"],
            ),
            node(
                rank_answers,
                inputs=dict(
                    validation_examples="validation_examples",
                    validation_features="validation_features",
                    validation_logits="validation_logits",
                    postprocessing="params:postprocessing",
                    version_2_with_negative="params:task.version_2_with_negative",
                ),
                outputs=dict(
                    validation_nbest="validation_nbest",
                    validation_null_odds="validation_null_odds",
                    validation_probabilities="validation_probabilities",
                ),
                name="rank_answers",
                tags=["report"],
            ),
        ]
    )
