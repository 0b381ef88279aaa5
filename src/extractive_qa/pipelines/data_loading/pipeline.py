"""load: raw_train, raw_validation -> train_examples, validation_examples."""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.data_loading.nodes import load


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                load,
                inputs=dict(raw_train="raw_train", raw_validation="raw_validation"),
                outputs=dict(
                    train_examples="train_examples",
                    validation_examples="validation_examples",
                ),
                name="load",
                tags=["cpu"],
            )
        ]
    )
