"""score: validation_predictions -> metrics."""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.evaluation.nodes import score


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                score,
                inputs=dict(
                    validation_examples="validation_examples",
                    validation_predictions="validation_predictions",
                    validation_null_odds="validation_null_odds",
                    version_2_with_negative="params:task.version_2_with_negative",
                ),
                outputs="metrics",
                name="score",
                tags=["report"],
            )
        ]
    )
