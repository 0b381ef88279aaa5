"""load: raw_train, raw_validation -> checked examples and data-quality reports."""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.data_loading.nodes import load


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                load,
                inputs=dict(
                    raw_train="raw_train",
                    raw_validation="raw_validation",
                    data_loading="params:data_loading",
                    task="params:task",
                ),
                outputs=dict(
                    train_examples="train_examples",
                    validation_examples="validation_examples",
                    train_data_quality="train_data_quality",
                    validation_data_quality="validation_data_quality",
                ),
                name="load",
                tags=["prepare"],
            )
        ]
    )
